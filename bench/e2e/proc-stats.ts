import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime of the process (all its threads), ms. */
  ownMs: number;
  /** cutime + cstime: children it has waited for, ms. */
  reapedMs: number;
}

/** Fields after the command name, which may itself contain spaces and parentheses. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const tick = (i: number) => (Number(fields[i - 3]) * 1000) / CLOCK_TICKS;
  return { ppid: Number(fields[1]), ownMs: tick(14) + tick(15), reapedMs: tick(16) + tick(17) };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** CPU ms of one process (all threads); undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  return readStat(pid)?.ownMs;
}

/**
 * CPU ms of a process and its whole family: its own, its children's that it already reaped
 * (Postgres backends that disconnected), and those of children still alive.
 */
export function processTreeCpuMs(rootPid: number): number | undefined {
  const root = readStat(rootPid);
  if (!root) return undefined;
  let total = root.ownMs + root.reapedMs;
  for (const pid of allPids()) {
    if (pid === rootPid) continue;
    const stat = readStat(pid);
    if (stat?.ppid === rootPid) total += stat.ownMs;
  }
  return total;
}

/** The pid of the process listening on a local TCP port, found through its socket's inode. */
export function pidListeningOn(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the inode.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A' && columns[9]) inodes.add(columns[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return pid;
    }
  }
  return undefined;
}

/** The first line of postmaster.pid is the postmaster's pid. */
export function postmasterPid(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function parentPid(pid: number): number | undefined {
  return readStat(pid)?.ppid;
}

/** Busy and total CPU ms of the whole machine, from /proc/stat: the share others used shows here. */
export function machineCpuMs(): { busyMs: number; totalMs: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  const toMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  const busy = user + nice + system + irq + softirq + steal;
  return {
    busyMs: toMs(busy),
    totalMs: toMs(busy + idle + iowait),
    cores: lines.filter((line) => /^cpu\d+ /.test(line)).length,
  };
}

/** Local ports of the TCP connections the given processes hold to `remotePort`. */
export function localPortsTowards(pids: readonly number[], remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) inodes.add(inode);
      } catch {
        continue;
      }
    }
  }
  const ports = new Set<number>();
  const hexRemote = `:${remotePort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (!columns[2]?.endsWith(hexRemote) || !columns[9] || !inodes.has(columns[9])) continue;
      ports.add(parseInt(columns[1]?.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Admin, AssignerProtocol } from 'kafkajs';
import { type Redis } from 'ioredis';
import { type Client } from 'pg';
import { REPO_ROOT } from '@app/testing';
import {
  localPortsTowards,
  machineCpuMs,
  parentPid,
  pidListeningOn,
  postmasterPid,
  processCpuMs,
  processTreeCpuMs,
} from './proc-stats';
import { SERVICE_NAMES, type ServiceName } from '../../test/e2e/support/service-process';

export type ProcessName = ServiceName | 'postgres' | 'kafka' | 'redis';
export const PROCESS_NAMES: readonly ProcessName[] = [...SERVICE_NAMES, 'postgres', 'kafka', 'redis'];

export interface Snapshot {
  at: number;
  /** CPU ms so far per process; null when its pid could not be found or read. */
  cpuMs: Record<ProcessName, number | null>;
  benchCpuMs: number;
  machine: { busyMs: number; totalMs: number };
  commits: number;
  commitsAllDatabases: number;
  redisCalls: Map<string, number>;
  /** Offsets the services' consumer groups have committed, summed over every topic and partition. */
  consumed: number;
  /** Messages on the services' own topics (everything of the run but the inbound topic). */
  produced: number;
  /** Messages the services' groups still have to consume. */
  lag: number;
  /** Others sharing the infrastructure right now: Redis clients not ours, backends of other databases. */
  foreignRedisClients: number;
  foreignPostgresBackends: number;
}

/**
 * Reads what the run costs: CPU of every process involved from /proc, Postgres commits from
 * pg_stat_database, Redis commands from INFO commandstats, Kafka offsets from the admin API.
 * Postgres, Redis and Kafka are shared by whatever else runs on the machine: their figures
 * include that, which the machine-wide CPU in each snapshot lets a reader judge.
 */
export class ResourceMeter {
  private readonly pids: Partial<Record<ProcessName, number>> = {};
  private postgresRoot: number | undefined;
  private readonly subscriptions = new Map<string, string[]>();
  private ours: number[] = [process.pid];

  constructor(
    private readonly db: Client,
    private readonly databaseName: string,
    private readonly redis: Redis,
    private readonly admin: Admin,
    private readonly topicPrefix: string,
    private readonly inboundTopic: string,
    private readonly groups: readonly string[],
  ) {}

  /** Finds the infrastructure's pids; returns the ones it could not find. */
  async locate(services: Record<ServiceName, number>, kafkaPort: number): Promise<string[]> {
    Object.assign(this.pids, services);
    this.ours = [process.pid, ...Object.values(services)];
    const [{ data_directory: dataDirectory }] = (
      await this.db.query<{ data_directory: string }>('SHOW data_directory')
    ).rows;
    const [{ pid: backend }] = (await this.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    this.postgresRoot = postmasterPid(dataDirectory) ?? parentPid(backend);
    const redisPid = /process_id:(\d+)/.exec(await this.redis.info('server'))?.[1];
    if (redisPid) this.pids.redis = Number(redisPid);
    const kafkaPidFile = resolve(process.env.INFRA_HOME ?? resolve(REPO_ROOT, '.infra'), 'kafka/kafka.pid');
    this.pids.kafka =
      pidListeningOn(kafkaPort) ??
      (existsSync(kafkaPidFile) ? Number(readFileSync(kafkaPidFile, 'utf8').trim()) : undefined);
    const missing: string[] = [];
    if (this.postgresRoot === undefined || processCpuMs(this.postgresRoot) === undefined)
      missing.push('postgres');
    for (const name of ['kafka', 'redis'] as const) {
      const pid = this.pids[name];
      if (pid === undefined || processCpuMs(pid) === undefined) missing.push(name);
    }
    return missing;
  }

  /** The topics each service group consumes, from its members' metadata; call once the groups joined. */
  async learnSubscriptions(): Promise<void> {
    const { groups } = await this.admin.describeGroups([...this.groups]);
    for (const group of groups) {
      const topics = new Set<string>();
      for (const member of group.members) {
        for (const topic of AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics ?? [])
          topics.add(topic);
      }
      if (topics.size === 0) throw new Error(`consumer group ${group.groupId} has no subscribed members`);
      this.subscriptions.set(group.groupId, [...topics]);
    }
  }

  cpu(): Record<ProcessName, number | null> {
    const out = {} as Record<ProcessName, number | null>;
    for (const name of PROCESS_NAMES) {
      const pid = name === 'postgres' ? this.postgresRoot : this.pids[name];
      const ms =
        pid === undefined ? undefined : name === 'postgres' ? processTreeCpuMs(pid) : processCpuMs(pid);
      out[name] = ms ?? null;
    }
    return out;
  }

  async snapshot(): Promise<Snapshot> {
    const cpuMs = this.cpu();
    const usage = process.cpuUsage();
    const machine = machineCpuMs();
    const [{ rows }, { rows: backends }, commandStats, clients, kafka] = await Promise.all([
      this.db.query<{ db: string; all: string }>(
        `SELECT coalesce(sum(xact_commit) FILTER (WHERE datname = $1), 0)::text AS db,
                coalesce(sum(xact_commit), 0)::text AS all
         FROM pg_stat_database`,
        [this.databaseName],
      ),
      this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND datname IS DISTINCT FROM $1`,
        [this.databaseName],
      ),
      this.redis.info('commandstats'),
      this.redis.client('LIST') as Promise<string>,
      this.kafkaProgress(),
    ]);
    const ourRedisPorts = localPortsTowards(this.ours, this.redis.options.port ?? 6379);
    const foreignRedisClients = [...clients.matchAll(/ addr=[^ ]*:(\d+) /g)].filter(
      (match) => !ourRedisPorts.has(Number(match[1])),
    ).length;
    const redisCalls = new Map<string, number>();
    for (const match of commandStats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      redisCalls.set(match[1] ?? '', Number(match[2]));
    }
    return {
      at: Date.now(),
      cpuMs,
      benchCpuMs: (usage.user + usage.system) / 1000,
      machine: { busyMs: machine.busyMs, totalMs: machine.totalMs },
      commits: Number(rows[0]?.db ?? 0),
      commitsAllDatabases: Number(rows[0]?.all ?? 0),
      redisCalls,
      ...kafka,
      foreignRedisClients,
      foreignPostgresBackends: backends[0]?.n ?? 0,
    };
  }

  /** Produced, consumed and outstanding messages over the run's topics. */
  async kafkaProgress(): Promise<{ produced: number; consumed: number; lag: number }> {
    const topics = (await this.admin.listTopics()).filter(
      (topic) => topic.startsWith(this.topicPrefix) && !topic.includes('.bench.'),
    );
    const ends = new Map<string, Map<number, { low: number; high: number }>>();
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        ends.set(
          topic,
          new Map(offsets.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }])),
        );
      }),
    );
    let produced = 0;
    for (const [topic, partitions] of ends) {
      if (topic === this.inboundTopic) continue;
      for (const { high } of partitions.values()) produced += high;
    }
    let consumed = 0;
    let lag = 0;
    const committed = await Promise.all(
      [...this.subscriptions].map(([groupId, subscribed]) =>
        this.admin.fetchOffsets({ groupId, topics: subscribed }),
      ),
    );
    for (const groupTopics of committed) {
      for (const { topic, partitions } of groupTopics) {
        const topicEnds = ends.get(topic);
        if (!topicEnds) continue;
        for (const { partition, offset } of partitions) {
          const end = topicEnds.get(partition);
          if (!end) continue;
          const at = Number(offset) >= 0 ? Number(offset) : end.low;
          consumed += Number(offset) >= 0 ? at : 0;
          lag += Math.max(0, end.high - at);
        }
      }
    }
    return { produced, consumed, lag };
  }
}

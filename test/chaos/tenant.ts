import { type ChaosHttp } from './http-client';

export interface Tenant {
  teamId: string;
  leadId: string;
  agentIds: string[];
  /** The webhook subscription receiving every SLA event and survey answer. */
  webhookPath: string;
}

const AGENTS = 8;
/** Low enough that a busy moment queues tickets, so capacity and the queue are exercised. */
const CAPACITY = 40;

/**
 * The tenant the load runs in, configured through the admin APIs as an admin would: one team with a
 * lead and agents, a routing rule that passes an unanswered high ticket on after 10 s, SLA policies
 * with targets of seconds and an escalation chain, and a webhook subscription.
 */
export async function setUpTenant(http: ChaosHttp, webhookBase: string): Promise<Tenant> {
  const lead = await http.must<{ id: string }>('routing', 'POST', '/v1/agents', {
    name: 'Lead',
    email: 'lead@agents.chaos.test',
    skills: [],
    capacity: 1,
    status: 'away',
  });
  const team = await http.must<{ id: string }>('routing', 'POST', '/v1/teams', {
    name: 'Support',
    leadAgentId: lead.id,
    skills: [],
  });
  const agentIds: string[] = [];
  for (let i = 1; i <= AGENTS; i++) {
    const agent = await http.must<{ id: string }>('routing', 'POST', '/v1/agents', {
      name: `Agent ${i}`,
      email: `agent-${i}@agents.chaos.test`,
      skills: [],
      capacity: CAPACITY,
      status: 'online',
      teamId: team.id,
    });
    agentIds.push(agent.id);
  }
  await http.must('routing', 'POST', '/v1/routing-rules', {
    position: 10,
    match: { priority: 'high' },
    assign: { teamId: team.id, overflowAfter: 'PT10S', maxOverflows: 2 },
  });
  await http.must('routing', 'POST', '/v1/routing-rules', {
    position: 20,
    match: {},
    assign: { teamId: team.id },
  });
  for (const [position, priority] of [
    [10, 'urgent'],
    [20, 'high'],
  ] as const) {
    await http.must('sla', 'POST', '/v1/sla-policies', {
      name: `${priority}: seconds to answer`,
      match: { priority },
      targets: { firstResponse: 'PT6S', nextResponse: 'PT8S', resolution: 'PT45S' },
      warnAt: [0.5],
      escalation: [
        { after: 'PT0S', notify: ['assignee'] },
        { after: 'PT3S', notify: ['team_lead'] },
      ],
      position,
    });
  }
  await http.must('sla', 'POST', '/v1/sla-policies', {
    name: 'Everything else',
    match: {},
    targets: { firstResponse: 'PT15S', nextResponse: 'PT15S', resolution: 'PT60S' },
    warnAt: [0.5, 0.8],
    escalation: [{ after: 'PT0S', notify: ['assignee'] }],
    position: 1000,
  });
  const webhookPath = '/chaos-hooks';
  await http.must('notifications', 'POST', '/v1/webhooks', {
    url: `${webhookBase}${webhookPath}`,
    events: ['sla.breached', 'sla.escalated', 'survey.answered'],
  });
  return { teamId: team.id, leadId: lead.id, agentIds, webhookPath };
}

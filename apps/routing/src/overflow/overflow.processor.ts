import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { JobWorker } from '@app/database';
import { AssignmentService, type OverflowOutcome } from '../assignment/assignment.service';
import { type RoutingConfig } from '../config/routing.config';
import { ROUTING_CONFIG } from '../routing.tokens';
import { type OverflowJobData, RoutingJobName, RoutingQueue } from './overflow-jobs';

/** Redis and Node clocks differ by milliseconds; a timer that early waits instead of acting early. */
const MAX_EARLY_WAIT_MS = 10_000;

/**
 * Runs overflow timers. Postgres decides, not the job: an answered, released or reassigned
 * assignment (another epoch) makes the job a no-op.
 */
@Injectable()
export class OverflowProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OverflowProcessor.name);
  private worker: JobWorker<OverflowJobData> | undefined;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly assignments: AssignmentService,
  ) {}

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.worker = new JobWorker<OverflowJobData>(
      RoutingQueue.Timers,
      this.config.redis,
      (job) => this.process(job),
      {
        concurrency: 4,
        logger: this.logger,
      },
    );
    this.worker.worker.on('failed', (job, error) =>
      this.logger.warn({ msg: 'Overflow timer failed; retrying', jobId: job?.id, error: error.message }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job<OverflowJobData>): Promise<OverflowOutcome> {
    if (job.name !== (RoutingJobName.Overflow as string)) throw new Error(`Unknown routing job ${job.name}`);
    return this.fire(job.data);
  }

  /** Also called by the reconciler for overdue assignments whose timer Redis lost. */
  async fire({ tenant, ticketId, epoch }: OverflowJobData): Promise<OverflowOutcome> {
    for (;;) {
      const outcome = await this.dataSource.transaction((manager) =>
        this.assignments.overflow(manager, tenant, ticketId, epoch),
      );
      if (outcome !== 'not_due') return outcome;
      const [row] = await this.dataSource.query<Array<{ due: Date | null }>>(
        'SELECT overflow_due_at AS due FROM assignments WHERE tenant = $1 AND ticket_id = $2',
        [tenant, ticketId],
      );
      const waitMs = row?.due ? row.due.getTime() - Date.now() : 0;
      if (waitMs > MAX_EARLY_WAIT_MS) return 'not_due';
      await new Promise((resolve) => setTimeout(resolve, Math.max(waitMs, 10)));
    }
  }
}

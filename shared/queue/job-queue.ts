import type { JobType, Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import { positionIn, type QueueKeys } from './keys.js';
import { JOB_NAME, type PayloadOf, type QueueName } from './payloads.js';

/** One job to add: its payload, its id (our job id or event id: BullMQ then refuses a second add), its BullMQ priority. */
export interface NewQueueJob<P> {
  data: P;
  jobId: string;
  /** BullMQ's number (lower runs first): made by shared/queue/priority.ts, never by callers. */
  priority?: number;
}

/** What became of a removal. */
export type RemoveResult = 'removed' | 'locked' | 'absent';

/** BullMQ's Queue of one payload type, spelled out: its name and data types then need no inference from a job type. */
export type BullQueue<P> = Queue<P, unknown, string, P, unknown, string>;

/** The queue states the counts and metrics read, in BullMQ's words. */
export type QueueState = Extract<JobType, 'wait' | 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized'>;

/**
 * One queue, in domain verbs: add, remove, counts, a job's place. It owns a BullMQ Queue (`bull`, which only the
 * admin dashboard and tests that inspect BullMQ itself should touch) and the Redis connection it was made on.
 */
export class JobQueue<Q extends QueueName> {
  constructor(
    readonly bull: BullQueue<PayloadOf[Q]>,
    readonly redis: RedisClient,
    readonly keys: QueueKeys,
  ) {}

  get name(): Q {
    return this.bull.name as Q;
  }

  async add(job: NewQueueJob<PayloadOf[Q]>): Promise<void> {
    await this.bull.add(this.jobName(), job.data, this.optsOf(job));
  }

  async addBulk(jobs: NewQueueJob<PayloadOf[Q]>[]): Promise<void> {
    await this.bull.addBulk(jobs.map((j) => ({ name: this.jobName(), data: j.data, opts: this.optsOf(j) })));
  }

  /**
   * Takes a waiting job out: `removed`; `locked` when a worker holds it (BullMQ refuses to remove a locked job,
   * which is what makes "not started" exact for cancels); `absent` when the queue does not have it (BullMQ's
   * remove answers 1 for a job it does not have, so that is asked first).
   */
  async remove(jobId: string): Promise<RemoveResult> {
    if ((await this.redis.exists(this.keys.job(jobId))) === 0) return 'absent';
    return (await this.bull.remove(jobId)) === 1 ? 'removed' : 'locked';
  }

  /** Whether BullMQ still has the job in any state (waiting, running, kept after failing). */
  async has(jobId: string): Promise<boolean> {
    return (await this.bull.getJob(jobId)) !== undefined;
  }

  /** How many jobs are ahead of a waiting one (0 = next); null when it is not waiting. */
  position(jobId: string): Promise<number | null> {
    return positionIn(this.redis, this.keys, jobId);
  }

  /** Jobs not yet finished nor running: waiting, prioritized, delayed, paused. */
  count(): Promise<number> {
    return this.bull.count();
  }

  counts<S extends QueueState>(...states: S[]): Promise<Record<S, number>> {
    return this.bull.getJobCounts(...states) as Promise<Record<S, number>>;
  }

  /** Age of the oldest job waiting: both ends of the wait list and of the prioritized set (order differs by type). */
  async oldestWaitingAge(): Promise<number> {
    const ends = await Promise.all([
      this.bull.getJobs(['wait'], 0, 0, true),
      this.bull.getJobs(['wait'], 0, 0, false),
      this.bull.getJobs(['prioritized'], 0, 0, true),
      this.bull.getJobs(['prioritized'], 0, 0, false),
    ]);
    const stamps = ends.flat().map((j) => j?.timestamp).filter((t): t is number => typeof t === 'number');
    return stamps.length ? Math.max(0, (Date.now() - Math.min(...stamps)) / 1000) : 0;
  }

  /** Stops every consumer from taking jobs (running ones finish), for every process: an operator's switch. */
  pause(): Promise<void> {
    return this.bull.pause();
  }

  resume(): Promise<void> {
    return this.bull.resume();
  }

  close(): Promise<void> {
    return this.bull.close();
  }

  private jobName(): string {
    return JOB_NAME[this.name];
  }

  private optsOf(job: NewQueueJob<unknown>) {
    return job.priority === undefined ? { jobId: job.jobId } : { jobId: job.jobId, priority: job.priority };
  }
}

/** What reading any queue needs (the metrics): the verbs that do not depend on its payload. */
export type QueueReader = Pick<JobQueue<QueueName>, 'name' | 'count' | 'counts' | 'oldestWaitingAge'>;

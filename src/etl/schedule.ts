/**
 * The scheduler `mysqlops serve` hosts: jobs with cron expressions (UTC), each started at its next
 * matching minute. A job still running when its next time comes is skipped, not stacked. Events
 * go to `onEvent`; the scheduler never prints.
 */
import { MysqlopsError } from '../errors.js';
import { type CronSchedule, nextCronTime, parseCron } from './cron.js';

export { type CronSchedule, cronMatches, cronProblem, nextCronTime, parseCron } from './cron.js';

/**
 * A job for `Scheduler`: a unique `name` (for events and `trigger`), when it runs, and what it runs.
 * A rejection of `run` is reported as a `failed` event and does not stop the schedule.
 */
export interface ScheduledJob {
  name: string;
  /** Five-field cron expression, UTC. */
  cron: string;
  run: () => Promise<unknown>;
}

/**
 * What a `Scheduler` reports through `onEvent`: the next time of a job (`scheduled`), a run's start,
 * its end (`finished`, with its duration in ms) or failure, and a tick `skipped` because the previous
 * run was still going.
 */
export type SchedulerEvent =
  | { type: 'scheduled'; job: string; at: Date }
  | { type: 'started'; job: string }
  | { type: 'finished'; job: string; ms: number }
  | { type: 'failed'; job: string; error: unknown }
  | { type: 'skipped'; job: string; reason: string };

/** Options of `Scheduler`; both are optional. */
export interface SchedulerOptions {
  /** Receives every scheduling event; the scheduler itself never prints. Default: none. */
  onEvent?: (e: SchedulerEvent) => void;
  /** Clock, for tests; default Date.now. */
  now?: () => number;
}

interface Entry {
  job: ScheduledJob;
  schedule: CronSchedule;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

/** Longest single wait; longer waits are chained (Node timers overflow past ~24.8 days). */
const MAX_WAIT_MS = 2 ** 31 - 1;

/**
 * Runs jobs on cron schedules (UTC), as `mysqlops serve` does: `start()` arms them, `stop()` waits for
 * runs in flight. A job is never run twice at once: a tick that finds it running is skipped. Its
 * timers are unref'd, so they alone do not keep the process alive.
 */
export class Scheduler {
  readonly #entries: Entry[];
  readonly #onEvent: (e: SchedulerEvent) => void;
  readonly #now: () => number;
  #started = false;

  /** Validates every expression now: E_SCHEDULE (exit 2) names the job and the problem. */
  constructor(jobs: readonly ScheduledJob[], options: SchedulerOptions = {}) {
    this.#onEvent = options.onEvent ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#entries = jobs.map((job) => {
      try {
        return { job, schedule: parseCron(job.cron), timer: undefined, running: undefined };
      } catch (err) {
        throw new MysqlopsError({
          code: 'E_SCHEDULE',
          message: `schedule of ${job.name} (${JSON.stringify(job.cron)}) is invalid: ${(err as Error).message}`,
          hint: 'use five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"',
          exitCode: 2,
        });
      }
    });
  }

  /** When each job runs next. */
  nextRuns(): Array<{ job: string; at: Date | null }> {
    const now = new Date(this.#now());
    return this.#entries.map((e) => ({ job: e.job.name, at: nextCronTime(e.schedule, now) }));
  }

  /** Arm every job for its next matching minute; calling it again while started does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const e of this.#entries) this.#arm(e);
  }

  /** Stop scheduling; resolves when jobs already running have finished. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const e of this.#entries) clearTimeout(e.timer);
    await Promise.all(this.#entries.map((e) => e.running));
  }

  /** Run one job now (as the schedule would); resolves at once, skipping, when it is already running. */
  trigger(name: string): Promise<void> {
    const e = this.#entries.find((x) => x.job.name === name);
    if (!e) return Promise.reject(new Error(`no scheduled job named ${name}`));
    return this.#fire(e);
  }

  #arm(e: Entry): void {
    if (!this.#started) return;
    const at = nextCronTime(e.schedule, new Date(this.#now()));
    if (!at) return;
    this.#onEvent({ type: 'scheduled', job: e.job.name, at });
    const wait = at.getTime() - this.#now();
    const timer = setTimeout(
      () => {
        if (at.getTime() > this.#now()) this.#arm(e);
        else {
          void this.#fire(e);
          this.#arm(e);
        }
      },
      Math.max(0, Math.min(wait, MAX_WAIT_MS)),
    );
    timer.unref?.();
    e.timer = timer;
  }

  #fire(e: Entry): Promise<void> {
    if (e.running) {
      this.#onEvent({ type: 'skipped', job: e.job.name, reason: 'the previous run is still going' });
      return Promise.resolve();
    }
    const started = this.#now();
    this.#onEvent({ type: 'started', job: e.job.name });
    e.running = e.job
      .run()
      .then(
        () => this.#onEvent({ type: 'finished', job: e.job.name, ms: this.#now() - started }),
        (error: unknown) => this.#onEvent({ type: 'failed', job: e.job.name, error }),
      )
      .finally(() => {
        e.running = undefined;
      });
    return e.running;
  }
}

/**
 * What a run's manifest says about each extractor: finished (with its final record),
 * in progress (started, no record since: running in another process, or cut short by
 * a crash) or not started, with the checkpoints and evaluations of its current
 * attempt. Summaries and resume read runs through this one interpretation.
 *
 * An attempt begins with an extractor_started event without `resumed_from` (a fresh
 * start, which owns the extractor's logs from then on). A continued
 * extractor_started (`resumed_from`, `step`) keeps the attempt and drops what the
 * attempt recorded past `step`: the continued training recomputes it.
 *
 * @module
 */
import type {
  CheckpointWrittenEvent,
  EvaluationDoneEvent,
  ManifestEvent,
  RunResumedEvent,
  RunStartedEvent,
} from "./manifest.ts";
import type { ExtractorRunRecord } from "./models.ts";
import { eventTrial, trialKey } from "./trial.ts";

/** Where an extractor stands in the manifest. */
export type ExtractorPhase = "not_started" | "in_progress" | "finished";

/** One extractor (one trial of a multi-seed run) as the manifest records it. */
export interface ExtractorState {
  /** Trial key: the entry name, or `<name>/seed_<k>` in a multi-seed run (see lib/run/trial.ts). */
  name: string;
  /** Entry name. */
  extractor: string;
  /** Trial seed in a multi-seed run, else null. */
  seed: number | null;
  /** finished: its last event is extractor_finished; in_progress: started since. */
  phase: ExtractorPhase;
  /** The final record (phase finished), else null. */
  record: ExtractorRunRecord | null;
  /** Index (0-based, among the manifest's events) of that extractor_finished, else -1. */
  finishedIndex: number;
  /** Directory relative to the run directory (from extractor_started), or null. */
  directory: string | null;
  /** Time the current attempt started (its fresh extractor_started), or null. */
  attemptStartedAt: string | null;
  /** Index of the latest extractor_started, or -1. */
  lastStartIndex: number;
  /** Sessions of the current attempt (one per extractor_started). */
  sessions: number;
  /**
   * Seconds the current attempt's sessions ran: each from its extractor_started to
   * its extractor_finished, or to the extractor's last event before the next start
   * (a session cut short by a crash).
   */
  sessionSeconds: number;
  /** Checkpoints of the current attempt, by step ascending (one per path, the latest event). */
  checkpoints: CheckpointWrittenEvent[];
  /** Evaluations of the current attempt, by timestep ascending (one per timestep, the latest). */
  evaluations: EvaluationDoneEvent[];
}

/** What a whole manifest says. */
export interface RunState {
  /** The run_started event (the first), or null when there is none. */
  started: RunStartedEvent | null;
  /** run_resumed events, in order. */
  resumes: RunResumedEvent[];
  /** Every extractor (trial) named by an event, by trial key, in first-event order. */
  extractors: Map<string, ExtractorState>;
  /** Index of the last summary_written event, or -1. */
  lastSummaryIndex: number;
  /** Number of events read. */
  eventCount: number;
}

function _seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

function _fresh(name: string, extractor: string, seed: number | null): ExtractorState {
  return {
    name,
    extractor,
    seed,
    phase: "not_started",
    record: null,
    finishedIndex: -1,
    directory: null,
    attemptStartedAt: null,
    lastStartIndex: -1,
    sessions: 0,
    sessionSeconds: 0,
    checkpoints: [],
    evaluations: [],
  };
}

/**
 * Interpret manifest events (see the module description).
 *
 * @param events Events in file order (e.g. `readManifest(...).events`).
 * @returns The run's state.
 */
export function runState(events: readonly ManifestEvent[]): RunState {
  const extractors = new Map<string, ExtractorState>();
  const open = new Map<string, { start: string; last: string }>();
  const state = (event: { extractor: string; seed?: number }) => {
    const trial = eventTrial(event);
    const name = trialKey(trial);
    let entry = extractors.get(name);
    if (entry === undefined) {
      extractors.set(name, entry = _fresh(name, trial.extractor, trial.seed));
    }
    return entry;
  };
  const close = (name: string, end: string) => {
    const session = open.get(name);
    if (session === undefined) return;
    extractors.get(name)!.sessionSeconds += _seconds(session.start, end);
    open.delete(name);
  };
  let started: RunStartedEvent | null = null;
  const resumes: RunResumedEvent[] = [];
  let lastSummaryIndex = -1;
  events.forEach((event, index) => {
    switch (event.event) {
      case "run_started":
        started ??= event;
        return;
      case "run_resumed":
        resumes.push(event);
        return;
      case "summary_written":
        lastSummaryIndex = index;
        return;
      case "extractor_started": {
        const s = state(event);
        const previous = open.get(s.name);
        if (previous !== undefined) close(s.name, previous.last);
        if (event.resumed_from === undefined || s.attemptStartedAt === null) {
          s.attemptStartedAt = event.time;
          s.sessions = 0;
          s.sessionSeconds = 0;
          s.checkpoints = [];
          s.evaluations = [];
        } else {
          const step = event.step ?? 0;
          s.checkpoints = s.checkpoints.filter((c) => c.step <= step);
          s.evaluations = s.evaluations.filter((e) => e.timestep <= step);
        }
        s.phase = "in_progress";
        s.record = null;
        s.finishedIndex = -1;
        s.directory = event.directory;
        s.lastStartIndex = index;
        s.sessions++;
        open.set(s.name, { start: event.time, last: event.time });
        return;
      }
      case "checkpoint_written": {
        const s = state(event);
        s.checkpoints = s.checkpoints.filter((c) => c.path !== event.path);
        s.checkpoints.push(event);
        s.checkpoints.sort((a, b) => a.step - b.step);
        break;
      }
      case "evaluation_done": {
        const s = state(event);
        s.evaluations = s.evaluations.filter((e) => e.timestep !== event.timestep);
        s.evaluations.push(event);
        s.evaluations.sort((a, b) => a.timestep - b.timestep);
        break;
      }
      case "extractor_finished": {
        const s = state(event);
        close(s.name, event.time);
        s.phase = "finished";
        s.record = event.record;
        s.finishedIndex = index;
        return;
      }
    }
    const session = open.get(trialKey(eventTrial(event)));
    if (session !== undefined) session.last = event.time;
  });
  for (const [name, session] of [...open]) close(name, session.last);
  return { started, resumes, extractors, lastSummaryIndex, eventCount: events.length };
}

import { describe, expect, it } from '@jest/globals';
import type { SigningAlg, SigningKeyRow } from '../../src/db/queries/signing-keys.js';
import { DAY_MS, nextKeyEvent, planSchedule, signingKeyOf, statusOf, type ScheduleStep } from '../../src/services/key-schedule.js';

const ALGS: SigningAlg[] = ['RS256'];
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY_MS);
const RETENTION = 3660;

function key(kid: string, fields: Partial<SigningKeyRow> = {}): SigningKeyRow {
  return {
    kid,
    alg: 'RS256',
    publicJwk: {},
    privateJwkEncrypted: '',
    signsFrom: t0,
    retiredAt: null,
    expiresAt: null,
    createdAt: fields.signsFrom ?? t0,
    ...fields,
  };
}
/** Newest first by signs_from, as the query returns them. */
const sorted = (keys: SigningKeyRow[]) => [...keys].sort((a, b) => b.signsFrom.getTime() - a.signsFrom.getTime());

/** What the rows become once the steps are written (the service's apply, without a database). */
function applied(keys: SigningKeyRow[], steps: ScheduleStep[], now: Date): SigningKeyRow[] {
  let rows = [...keys];
  for (const step of steps) {
    if (step.kind === 'create') rows.push(key(`new-${rows.length}`, { signsFrom: now }));
    if (step.kind === 'successor') {
      rows = rows.map((row) => (row.kid === step.predecessor ? { ...row, retiredAt: step.signsFrom, expiresAt: step.expiresAt } : row));
      rows.push(key(`next-${rows.length}`, { signsFrom: step.signsFrom, createdAt: now }));
    }
    if (step.kind === 'retire') rows = rows.map((row) => (row.kid === step.kid ? { ...row, retiredAt: step.retiredAt, expiresAt: step.expiresAt } : row));
    if (step.kind === 'withdraw') rows = rows.filter((row) => row.kid !== step.kid);
    if (step.kind === 'keep') rows = rows.map((row) => (row.kid === step.kid ? { ...row, retiredAt: null, expiresAt: null } : row));
  }
  return sorted(rows);
}

describe('the key schedule', () => {
  const input = (now: Date, rotationDays = 30) => ({ now, rotationDays, retentionSeconds: RETENTION });

  it('schedules the successor at signsFrom + N days once N − 1 days have passed, and nothing before', () => {
    const keys = [key('a')];
    expect(planSchedule(keys, ALGS, input(new Date(at(29).getTime() - 1)))).toEqual([]);
    const steps = planSchedule(keys, ALGS, input(at(29)));
    expect(steps).toEqual([
      { kind: 'successor', alg: 'RS256', predecessor: 'a', signsFrom: at(30), expiresAt: new Date(at(30).getTime() + RETENTION * 1000) },
    ]);
    // Once written, the schedule is up to date: running it again writes nothing.
    const after = applied(keys, steps, at(29));
    expect(planSchedule(after, ALGS, input(at(29)))).toEqual([]);
    expect(planSchedule(after, ALGS, input(at(30)))).toEqual([]);
    expect(statusOf(after, after[0] as SigningKeyRow, at(29))).toBe('next');
    expect(signingKeyOf(after, 'RS256', at(30))?.kid).toBe(after[0]?.kid);
  });

  it('a late run still publishes a full day ahead', () => {
    const [step] = planSchedule([key('a')], ALGS, input(at(45)));
    expect(step).toMatchObject({ kind: 'successor', signsFrom: at(46) });
  });

  it('names the next events: successor due, its start, the retired key leaving', () => {
    const keys = [key('a')];
    expect(nextKeyEvent(keys, ALGS, { now: at(1), rotationDays: 30 })).toEqual(at(29));
    expect(nextKeyEvent(keys, ALGS, { now: at(1), rotationDays: 0 })).toBeUndefined();
    const after = applied(keys, planSchedule(keys, ALGS, input(at(29))), at(29));
    expect(nextKeyEvent(after, ALGS, { now: at(29), rotationDays: 30 })).toEqual(at(30));
    expect(nextKeyEvent(after, ALGS, { now: at(30), rotationDays: 30 })).toEqual(new Date(at(30).getTime() + RETENTION * 1000));
  });

  it('a longer lifetime later keeps a retired key longer; a shorter one never shortens it', () => {
    const retired = key('a', { retiredAt: at(30), expiresAt: new Date(at(30).getTime() + RETENTION * 1000) });
    const keys = sorted([retired, key('b', { signsFrom: at(30) })]);
    expect(planSchedule(keys, ALGS, { now: at(30), rotationDays: 30, retentionSeconds: 60 })).toEqual([]);
    expect(planSchedule(keys, ALGS, { now: at(30), rotationDays: 30, retentionSeconds: 2 * RETENTION })).toEqual([
      { kind: 'retire', kid: 'a', retiredAt: at(30), expiresAt: new Date(at(30).getTime() + 2 * RETENTION * 1000) },
    ]);
  });

  it('turning rotation off withdraws the successor that never signed and keeps the old key signing', () => {
    const keys = applied([key('a')], planSchedule([key('a')], ALGS, input(at(29))), at(29));
    const steps = planSchedule(keys, ALGS, input(at(29.5), 0));
    expect(steps.map((step) => step.kind).sort()).toEqual(['keep', 'withdraw']);
    const after = applied(keys, steps, at(29.5));
    expect(after.map((row) => [row.kid, row.retiredAt, row.expiresAt])).toEqual([['a', null, null]]);
  });

  it('gives a superseded key without its retirement (written elsewhere) the retirement of its successor\u2019s start', () => {
    const keys = sorted([key('a'), key('b', { signsFrom: at(3) })]);
    expect(planSchedule(keys, ALGS, input(at(4), 0))).toEqual([
      { kind: 'retire', kid: 'a', retiredAt: at(3), expiresAt: new Date(at(3).getTime() + RETENTION * 1000) },
    ]);
    expect(planSchedule([], ALGS, input(at(4)))).toEqual([{ kind: 'create', alg: 'RS256' }]);
  });
});

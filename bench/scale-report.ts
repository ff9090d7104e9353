/** The table and the targets of section (f), for bench/report.ts. */
import type { ChannelFigures } from './invalidation.js';
import type { ScaleResult } from './scale.js';

export type ScaleSection = ScaleResult | { skipped: string } | { error: string } | undefined;

export interface ScaleTarget {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  readonly note: string;
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

export function scaleTargets(scale: ScaleSection): ScaleTarget[] {
  if (scale === undefined || 'skipped' in scale || 'error' in scale) return [];
  const bad = scale.revokedRuns + scale.forgedRuns + scale.sentAfterAck;
  return [
    {
      target:
        'load with Redis restarted mid-run: protected calls with a revoked (sent after the acknowledgement) or forged token = 0 (f)',
      measured: String(bad),
      met: bad === 0,
      note:
        bad === 0
          ? ''
          : `${scale.revokedRuns} with a token revoked before the run, ${scale.forgedRuns} forged`,
    },
  ];
}

export function renderScale(scale: ScaleSection): string[] {
  const out = [
    '',
    '### (f) Redis at scale: servers sharing one Redis, local cache, Redis restarted mid-run',
    '',
  ];
  if (scale === undefined) return [...out, '_scale: not run._'];
  if ('skipped' in scale) return [...out, `_Skipped: ${scale.skipped}._`];
  if ('error' in scale) return [...out, `_scale failed: ${scale.error}_`];
  const row = (name: string, f: ChannelFigures) =>
    `| ${name} | ${ms(f.lagP50)} | ${ms(f.lagP99)} | ${ms(f.writeP50)} |`;
  const list = (values: number[]) => values.map((v) => `${v} ms`).join(', ');
  return [
    ...out,
    "Invalidation channel, loopback, 500 writes each (arrival at another connection minus the write's acknowledgement; negative: before it):",
    '',
    '| channel | lag p50 | lag p99 | write p50 |',
    '| --- | --- | --- | --- |',
    row('pub/sub, published by the write script (used)', scale.channels.pubsub),
    row('RESP3 CLIENT TRACKING (default mode)', scale.channels.tracking),
    '',
    `Load: ${scale.servers} server processes, autocannon ${scale.connections} connections for ${scale.seconds.toFixed(0)} s; tokens 70 % valid, 10 % revoked before the run, 10 % revoked during it (one every 40 ms), 10 % forged; redis-server (AOF) stopped for ${(scale.downMs / 1000).toFixed(1)} s mid-run.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| requests served (200) | ${scale.served.toLocaleString('en-US')} |`,
    `| refused (401) / failed closed (500, errors, timeouts) | ${scale.refused.toLocaleString('en-US')} / ${scale.failed.toLocaleString('en-US')} |`,
    `| protected runs with a token revoked before the run | ${scale.revokedRuns} |`,
    `| protected runs with a forged token | ${scale.forgedRuns} |`,
    `| tokens revoked during the run / runs of them after the revoke was acknowledged (server clock) | ${scale.revokedDuringRun} / ${scale.runsAfterAck}${scale.runsAfterAck > 0 ? ` (latest ${scale.latestRunAfterAckMs} ms after)` : ''} |`,
    `| of those, runs of requests sent after the acknowledgement | ${scale.sentAfterAck} |`,
    `| protected runs while Redis was down | ${scale.runsWhileDown}${scale.runsWhileDown > 0 ? ` (latest ${scale.latestRunAfterStopMs} ms after the stop)` : ''} |`,
    `| after Redis returned: first 200 per server | ${list(scale.recoveryMs)} |`,
    `| after Redis returned: local cache live again per server | ${list(scale.cacheLiveMs)} |`,
  ];
}

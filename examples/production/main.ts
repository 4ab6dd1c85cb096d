/**
 * Running prompts in production: a refreshing bundle (a `prompts rollback` built and published by
 * CI reaches this process within one interval), run() with retries, a circuit breaker, rate
 * limits and a budget from the bundle's config, a fallback reply when the model is down, and
 * OpenTelemetry spans and metrics printed to the console.
 *
 *   prompts -C examples/registry build --env production -o ../production/production.bundle.json
 *   node dist/main.js production.bundle.json "Where is my order?" "I was charged twice"
 *
 * The bundle may also be an http(s) URL (fetched with If-None-Match, swapped in when verified).
 * support/reply runs on a local Ollama (127.0.0.1:11434); without one, its fallback text serves.
 */
import { loadBundle, BudgetExceededError, ProviderUnavailableError, type RunResult } from 'promptrail';
import { metrics, trace } from '@opentelemetry/api';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

// 1. OpenTelemetry: promptrail only uses @opentelemetry/api, so it reports to whatever SDK the app registers
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 60_000 })] });
metrics.setGlobalMeterProvider(meterProvider);

// 2. the bundle, re-read every 5 s; a bad or unreachable bundle never replaces the good one
const [source = 'production.bundle.json', ...tickets] = process.argv.slice(2);
const prompts = await loadBundle(source, {
  refresh: { intervalMs: 5_000 },
  onUpdate: (u) => console.error(`bundle updated to ${u.commit ?? '(no commit)'}: ${u.changed.map((c) => `${c.id} ${c.from} -> ${c.to}`).join(', ')}`),
  onError: (e) => console.error(`bundle refresh failed, still serving ${prompts.commit ?? 'the last good bundle'}: ${e.message}`),
});

// 3. run the prompt for each ticket; the key picks the user's arm (stable, until a rollout runs)
const summary = (r: RunResult): string =>
  `${r.id}@${r.version} (${r.variant}) in ${r.latency_ms.toFixed(1)} ms, ${r.attempts} request(s)` +
  (r.fallback ? `, fallback via ${r.fallback.via} because ${r.fallback.reason}` : `, $${(r.cost_usd ?? 0).toFixed(6)}`);
let i = 0;
for (const ticket of tickets.length ? tickets : ['Where is my order?', 'I was charged twice']) {
  try {
    const r = await prompts.get('support/reply', { key: `user-${++i}` }).run({ ticket });
    console.log(`reply: ${r.output}`);
    console.log(`  ${summary(r)}`);
  } catch (e) {
    if (e instanceof ProviderUnavailableError || e instanceof BudgetExceededError) console.error(`not answered: ${e.message}`);
    else throw e;
  }
}

// 4. shut down: stop polling, print the metrics, flush the spans
prompts.close();
await meterProvider.forceFlush();
await meterProvider.shutdown();
await tracerProvider.shutdown();

/**
 * A small application that ships a `prompts build` bundle instead of the prompt repository:
 * it loads the bundle at start-up (integrity-checked, no git, no network), renders the
 * production-pinned support/triage prompt with validated inputs, and parses a model reply.
 *
 *   prompts -C examples/registry build --env production -o ../app/production.bundle.json
 *   node dist/main.js production.bundle.json "I was charged twice" pro
 *
 * `prompts.d.ts` (from `prompts types --env production`) types render() and parseOutput().
 */
import { loadBundle, InputValidationError, OutputValidationError } from 'promptrail';

const [bundlePath = 'production.bundle.json', ticket = 'I was charged twice this month', tier] = process.argv.slice(2);

const prompts = await loadBundle(bundlePath);
const triage = prompts.get('support/triage');

// customer_tier is typed "free" | "pro" | "enterprise"; a wrong literal would not compile.
const inputs: { ticket: string; customer_tier?: 'free' | 'pro' | 'enterprise' } = { ticket };
if (tier === 'free' || tier === 'pro' || tier === 'enterprise') inputs.customer_tier = tier;

try {
  const rendered = triage.render(inputs);
  // Send rendered.messages to rendered.model.name here; this example prints them instead.
  console.log(JSON.stringify({ environment: prompts.env, commit: prompts.commit, ...rendered }, null, 2));
} catch (e) {
  if (e instanceof InputValidationError) {
    console.error(`bad inputs: ${e.errors.map((x) => `${x.field}: ${x.message}`).join('; ')}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}

// A canned model reply, as a chat API might return it (fenced JSON).
const reply = '```json\n{"category": "billing", "reply": "Sorry about that, we have refunded the duplicate charge."}\n```';
try {
  const parsed = triage.parseOutput(reply); // typed: { category: "billing" | "bug" | "account" | "other"; reply: string }
  console.log(`category: ${parsed.category}`);
} catch (e) {
  if (e instanceof OutputValidationError) console.error(`bad reply: ${e.message}`);
  else throw e;
}

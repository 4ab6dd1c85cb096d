// A minimal OpenAI-compatible server for bench/runtime.mjs, in its own process so it does not
// share the event loop with the code being measured. Prints its port on stdout.
import * as http from 'node:http';

const body = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1763800000,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: '{"category":"billing","reply":"We refunded the duplicate charge."}' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
});
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

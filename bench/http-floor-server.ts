/**
 * The "HTTP floor": the least an HTTP service on this machine must do for one POST /v1/transfers.
 * A bare Fastify server on 127.0.0.1 whose route parses the same JSON body (Fastify's default
 * parser, secure-json-parse, as Sluice uses) and answers 201 with it, touching no ledger, no
 * database, no authentication, schema or plugin. The HTTP benchmarks drive it with the same client
 * and connections as the real server, so the ratio between the two is what everything behind the
 * socket costs.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024, keepAliveTimeout: 65_000 });
app.post('/v1/transfers', async (request, reply) => {
  const body = request.body as Record<string, unknown> | null;
  // Echoing the body answers with about as many bytes as Sluice's rendered transfer.
  return reply.status(201).send({ ...body, timestamp: String(process.hrtime.bigint()) });
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`floor listening on ${address}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

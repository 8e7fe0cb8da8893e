/** The MongoDB of the benchmark, in its own process: the test harness's choice of tier. */
import { startTestMongo } from '../tools/mongo-wire-server/harness.js';

const mongo = await startTestMongo({ log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`MONGO_READY ${JSON.stringify({ uri: mongo.uri, tier: mongo.tier, description: mongo.description })}\n`);
const stop = () => void mongo.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@passerelle/testing';
import { runScript } from '../infra/scripts';

const REPO = path.resolve(__dirname, '../..');
const START = path.join(REPO, 'scripts/start.js');

/** Lines a person sees on stderr (blank ones aside). */
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/**
 * A newcomer's failed `npm start` ends with ONE line on stderr saying what to do, and a non-zero
 * exit, never a stack trace. Each case doctors one thing: a port, PATH, Maven's repository, the registry.
 */
describe('npm start: errors a newcomer understands', () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-start-errors-'));
    // Every port the apps would take, free; an existing database and broker, so nothing is started.
    const [gw, probe, grpc, caProbe, consumerProbe] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    env = {
      ...process.env,
      GATEWAY_PORT: String(gw),
      GATEWAY_PROBE_PORT: String(probe),
      CONSENT_AUDIT_URL: `127.0.0.1:${grpc}`,
      CONSENT_AUDIT_METRICS_PORT: String(caProbe),
      CONSUMER_METRICS_PORT: String(consumerProbe),
      PASSERELLE_SECRETS_DIR: path.join(tmp, 'secrets'),
      LOG_FORMAT: 'json',
    };
  });

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a port taken: names the port and the variable that moves it', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(Number(env.GATEWAY_PORT), '127.0.0.1', r));
    try {
      const { code, stdout, stderr } = await runScript(START, ['--no-build'], env);
      expect(code).toBe(1);
      expect(lines(stderr)).toEqual([`passerelle: port ${env.GATEWAY_PORT} (the gateway) is already in use: stop what holds it (\`ss -ltnp 'sport = :${env.GATEWAY_PORT}'\` shows it; a previous \`npm start\`?) or start with GATEWAY_PORT=<free port> npm start`]);
      expect(stdout).toBe('');
    } finally {
      holder.close();
    }
  });

  it('a malformed registry: points at `passerelle registry check` and the demo registry', async () => {
    const file = path.join(tmp, 'registry.json');
    fs.writeFileSync(file, '{ "gatewayId": "passerelle", "agencies": [ }');
    const { code, stderr } = await runScript(START, ['--no-build', '--quiet'], { ...env, PASSERELLE_REGISTRY: file });
    expect(code).toBe(1);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^passerelle: the registry ${file} is not valid \\(.+\\): run \`node bin/passerelle.js registry check ${file}\` to see every problem and fix them, or unset PASSERELLE_REGISTRY to start with the demo registry\\n$`));
  });

  describe('the local Kafka (KAFKA_BROKERS unset)', () => {
    let kafkaEnv: NodeJS.ProcessEnv;
    beforeAll(async () => {
      const { KAFKA_BROKERS: _k, JAVA_HOME: _j, ...rest } = env;
      kafkaEnv = { ...rest, PASSERELLE_KAFKA_PORT: String(await freePort()), PASSERELLE_KAFKA_CACHE: path.join(tmp, 'kafka-cache') };
    });

    it('Java missing: says to install Java 17+ or set KAFKA_BROKERS', async () => {
      const bin = fs.mkdtempSync(path.join(tmp, 'bin-')); // a PATH with neither java nor mvn
      const { code, stderr } = await runScript(START, ['--no-build'], { ...kafkaEnv, PATH: bin });
      expect(code).toBe(1);
      expect(lines(stderr)).toEqual([
        'passerelle: failed to start: the local Kafka needs Java 17+ and `java` is not on PATH: install it (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME, or set KAFKA_BROKERS to a running Kafka broker',
      ]);
    });

    it('Maven missing (jars not fetched yet): says to install Maven or set KAFKA_BROKERS', async () => {
      const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
      const java = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'java')).find((p) => fs.existsSync(p))!;
      fs.symlinkSync(java, path.join(bin, 'java'));
      const { code, stderr } = await runScript(START, ['--no-build'], { ...kafkaEnv, PATH: bin });
      expect(code).toBe(1);
      expect(lines(stderr)).toEqual([
        "passerelle: failed to start: Maven is needed once to download the local Kafka's jars and `mvn` is not on PATH: install Maven 3.6+ (e.g. `apt-get install maven`), or set KAFKA_BROKERS to a running Kafka broker",
      ]);
    });

    it('Maven Central unreachable: says to check the network or proxy, and where Maven said more', async () => {
      // A fresh Maven home whose only repository is a port nobody listens on: what an offline machine sees.
      const home = path.join(tmp, 'maven-home');
      fs.mkdirSync(path.join(home, '.m2'), { recursive: true });
      const closed = await freePort();
      fs.writeFileSync(path.join(home, '.m2/settings.xml'), `<settings><mirrors><mirror><id>unreachable</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:${closed}/maven2</url></mirror></mirrors></settings>`);
      const { code, stderr } = await runScript(START, ['--no-build'], { ...kafkaEnv, MAVEN_OPTS: `-Duser.home=${home}` });
      expect(code).toBe(1);
      expect(lines(stderr)).toHaveLength(1);
      expect(stderr).toMatch(
        /^passerelle: failed to start: could not download the local Kafka's jars from Maven Central \(no connection to the repository\): check the network or the proxy\/mirror in ~\/\.m2\/settings\.xml, then run `npm run kafka:fetch`, or set KAFKA_BROKERS to a running Kafka broker \(Maven's output: .+fetch-failed\.log\)\n$/,
      );
    });
  });
});

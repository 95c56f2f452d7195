/** The shared CLI builder, in process: options from flag, variable and default; refusals; help; subcommands. */
import { describe, expect, it } from 'vitest';
import {
  bootstrapServersOption,
  type CliEnv,
  cliOption,
  createCliProgram,
  describeCliError,
  durationOption,
  parseCli,
  parseCliSync,
  repeatableOption,
  UsageError,
  wholeNumber,
} from '../src/index.js';

/** A small program like the services': a duration, a number, a boolean, a repeatable flag and a subcommand. */
function program(env: CliEnv = {}) {
  const seen: { options?: Record<string, unknown>; sub?: Record<string, unknown> } = {};
  const p = createCliProgram({ name: 'demo', version: '1.2.3', description: 'a demo', env });
  p.addOption(
    durationOption('--commit-interval <duration>', 'how often', { env: 'DEMO_COMMIT_INTERVAL', defaultMs: 1_000 }),
  )
    .addOption(cliOption('--workers <n>', 'how many', { env: 'DEMO_WORKERS', default: 1, parse: wholeNumber(1, 64) }))
    .addOption(cliOption('--static-membership', 'keep partitions', { env: 'DEMO_STATIC' }))
    .addOption(repeatableOption('--match <m>', 'repeatable'))
    .action((options: Record<string, unknown>) => {
      seen.options = options;
    });
  p.command('check')
    .addOption(cliOption('--rules <file>', 'rules', { env: 'DEMO_RULES', default: 'rules.yaml' }))
    .action((options: Record<string, unknown>) => {
      seen.sub = options;
      return 3;
    });
  return { p, seen };
}

function usage(argv: string[], env: CliEnv = {}): string {
  try {
    parseCliSync(program(env).p, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('createCliProgram', () => {
  it('takes each option from the flag, else its variable, else the default, through the same parser', () => {
    const a = program({ DEMO_COMMIT_INTERVAL: '5s', DEMO_WORKERS: '4', DEMO_STATIC: 'true' });
    parseCliSync(a.p, ['--workers', '2']);
    expect(a.seen.options).toEqual({ commitInterval: 5_000, workers: 2, staticMembership: true });
    const b = program();
    parseCliSync(b.p, ['--match', 'a', '--match', 'b']);
    expect(b.seen.options).toEqual({ commitInterval: 1_000, workers: 1, match: ['a', 'b'] });
    const c = program({ DEMO_STATIC: 'false', DEMO_WORKERS: '' });
    parseCliSync(c.p, []);
    expect(c.seen.options).toEqual({ commitInterval: 1_000, workers: 1, staticMembership: false });
  });

  it('refuses an unknown flag with a suggestion, and extra arguments', () => {
    expect(usage(['--commit-intervl', '5s'])).toBe(
      "unknown option '--commit-intervl' (did you mean --commit-interval?)",
    );
    expect(usage(['chek'])).toMatch(/unknown command 'chek' \(did you mean check\?\)/);
    expect(usage(['check', 'extra'])).toMatch(/too many arguments/);
  });

  it('refuses a duration without a unit, from the flag or the variable; 0 needs none', () => {
    expect(usage(['--commit-interval', '5'])).toMatch(/argument '5' is invalid\. "5" needs a unit, e\.g\. 5s/);
    expect(usage([], { DEMO_COMMIT_INTERVAL: '5' })).toMatch(
      /^DEMO_COMMIT_INTERVAL="5" \(for --commit-interval\): "5" needs a unit, e\.g\. 5s/,
    );
    const zero = program();
    parseCliSync(zero.p, ['--commit-interval', '0']);
    expect(zero.seen.options?.['commitInterval']).toBe(0);
  });

  it('names the variable when its value is refused', () => {
    expect(usage([], { DEMO_WORKERS: '99' })).toMatch(
      /^DEMO_WORKERS="99" \(for --workers\): expected a whole number from 1 to 64/,
    );
    expect(usage([], { DEMO_STATIC: 'maybe' })).toMatch(
      /^DEMO_STATIC="maybe" \(for --static-membership\): expected true or false/,
    );
  });

  it('shows the true defaults and the variables in help, and the version on every command', () => {
    const help = parseCliSync(program().p, ['--help'])!;
    expect(help).toMatch(/--commit-interval <duration>\s+how often \(default: 1s, env:\s+DEMO_COMMIT_INTERVAL\)/);
    expect(help).toMatch(/--static-membership\s+keep partitions \(env: DEMO_STATIC\)/);
    expect(help).toMatch(/--version/);
    expect(parseCliSync(program().p, ['check', '-h'])).toMatch(
      /--rules <file>\s+rules \(default: "rules.yaml",\s+env: DEMO_RULES\)/,
    );
    expect(parseCliSync(program().p, ['--version'])).toBe('1.2.3\n');
    expect(parseCliSync(program().p, ['check', '--version'])).toBe('1.2.3\n');
  });

  it("runs a subcommand's action, its returned number the exit status; a default subcommand takes flags", async () => {
    const { p, seen } = program({ DEMO_RULES: 'env.yaml' });
    expect(await parseCli(p, ['check'])).toBe(3);
    expect(seen.sub).toEqual({ rules: 'env.yaml' });
    const d = program();
    d.p.defaultSubcommand = 'check';
    expect(await parseCli(d.p, ['--rules', 'x.yaml'])).toBe(3);
    expect(d.seen.sub).toEqual({ rules: 'x.yaml' });
  });

  it("points a usage error at the failing command's help", async () => {
    const { p } = program();
    const err = await parseCli(p, ['check', '--rulez', 'x']).catch((e: unknown) => e);
    expect(describeCliError(p, err)).toBe(
      "demo: unknown option '--rulez' (did you mean --rules?)\nsee 'demo check --help'\n",
    );
  });
});

describe('bootstrapServersOption', () => {
  /** A command with the shared --bootstrap-servers, as the services add it; returns the value its action saw. */
  function brokers(argv: string[], env: CliEnv): string {
    let seen = '';
    const p = createCliProgram({ name: 'svc', version: '1.0.0', description: 'a service', env });
    p.command('topics')
      .addOption(bootstrapServersOption())
      .action((options: { bootstrapServers: string }) => {
        seen = options.bootstrapServers;
      });
    parseCliSync(p, ['topics', ...argv]);
    return seen;
  }

  it('takes the brokers from the variable alone as from the flag, blanks around entries removed', () => {
    expect(brokers([], { KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:9092, kafka-2:9092\n' })).toBe('kafka-1:9092,kafka-2:9092');
    expect(brokers(['--bootstrap-servers', 'a:1'], { KAFKA_BOOTSTRAP_SERVERS: 'b:2' })).toBe('a:1');
    expect(brokers([], {})).toBe('127.0.0.1:9092');
    expect(brokers([], { KAFKA_BOOTSTRAP_SERVERS: 'PLAINTEXT://[::1]:9092,127.0.0.1:9093' })).toBe(
      'PLAINTEXT://[::1]:9092,127.0.0.1:9093',
    );
  });

  it('refuses a quoted value or an entry that is not host:port, naming the variable, before any client exists', () => {
    const refused = (env: CliEnv, argv: string[] = []): string => {
      try {
        brokers(argv, env);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('expected a UsageError');
    };
    expect(refused({ KAFKA_BOOTSTRAP_SERVERS: '"kafka:9092"' })).toMatch(
      /^KAFKA_BOOTSTRAP_SERVERS=""kafka:9092"" \(for --bootstrap-servers\): expected host:port.*remove the quotes/,
    );
    expect(refused({ KAFKA_BOOTSTRAP_SERVERS: 'kafka' })).toMatch(/"kafka" is not host:port/);
    expect(refused({ KAFKA_BOOTSTRAP_SERVERS: 'a:1,,b:2' })).toMatch(/an empty entry/);
    expect(refused({}, ['--bootstrap-servers', 'kafka:99999'])).toMatch(/--bootstrap-servers/);
  });
});

/**
 * The child process behind `KafkaProbe`'s group queries: it answers `offsetGap` and `groupMembers` over IPC.
 * The client's admin `fetchOffsets` was seen to crash its process (SIGSEGV) while the broker's group
 * coordinator was loading — on a fresh broker and right after a restart — so the suite asks from here and
 * survives such a crash (the probe starts a new worker and asks again).
 */
import { KafkaProbe } from './kafka-probe.js';

interface Request {
  readonly id: number;
  readonly method: 'offsetGap' | 'groupMembers';
  readonly args: string[];
}

const probe = new KafkaProbe(process.argv[2]!, { isolated: false });
process.on('message', (request: Request) => {
  const answer =
    request.method === 'offsetGap'
      ? probe.offsetGap(request.args[0]!, request.args[1]!)
      : probe.groupMembers(request.args[0]!);
  answer.then(
    (result: unknown) => process.send?.({ id: request.id, result }),
    (err: unknown) => process.send?.({ id: request.id, error: (err as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));

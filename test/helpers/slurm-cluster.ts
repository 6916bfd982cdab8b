// A real one-node SLURM cluster for tests (Debian's slurm-wlm and munge, installed by .ci/run): munged
// (reused when one already answers), slurmctld and slurmd started as root with a slurm.conf in a
// temporary folder on free ports, so that nothing of the machine's own SLURM setup is touched. Clients
// find it through SLURM_CONF in `env`. `stop()` stops the daemons this helper started, by the PIDs in
// their pid files.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface SlurmCluster {
  /** the environment of a SLURM client of this cluster (SLURM_CONF set) */
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): void;
}

/** Why a SLURM cluster cannot be started here, or null when it can. */
export function slurmUnavailable(): string | null {
  for (const tool of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch']) {
    if (!fs.existsSync(tool)) return `${tool} is missing: install Debian's slurm-wlm and munge (apt-get install --no-install-recommends slurm-wlm munge; .ci/run does)`;
  }
  if (process.getuid?.() !== 0) return 'the SLURM daemons are started as root, and this is not root';
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Start the cluster and wait until its node is idle.
 * @throws Error with the daemons' logs when it does not come up within a minute.
 */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-slurm-'));
  for (const d of ['state', 'spool', 'log']) fs.mkdirSync(path.join(dir, d));
  const host = os.hostname().split('.')[0]!;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const memMb = Math.floor(os.totalmem() / 2 ** 20) - 1024;
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=nasgrowtest',
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      'ReturnToService=2',
      'MpiDefault=none',
      `NodeName=${host} CPUs=${os.cpus().length} RealMemory=${memMb} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const started: string[] = [];
  const stop = () => {
    for (const pidFile of started) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
      } catch {
        /* gone already */
      }
    }
  };
  try {
    // munge: one daemon per machine; start it unless one answers
    if (sh('/usr/bin/munge', ['-n']).code !== 0) {
      fs.mkdirSync('/run/munge', { recursive: true });
      sh('chown', ['munge:munge', '/run/munge']);
      const pidFile = '/run/munge/munged.pid';
      const r = sh('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
      if (r.code !== 0) throw new Error(`munged did not start: ${r.out}`);
      started.push(pidFile);
    }
    for (const daemon of ['slurmctld', 'slurmd']) {
      const r = sh(`/usr/sbin/${daemon}`, ['-f', conf], env);
      if (r.code !== 0) throw new Error(`${daemon} did not start: ${r.out}`);
      started.push(path.join(dir, `${daemon}.pid`));
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = sh('sinfo', ['-h', '-o', '%T'], env);
      if (r.code === 0 && /^idle/m.test(r.out)) break;
      if (Date.now() > deadline) {
        const logs = ['slurmctld', 'slurmd'].map((d) => `${d}.log:\n${fs.readFileSync(path.join(dir, 'log', `${d}.log`), 'utf8').slice(-2000)}`);
        throw new Error(`the SLURM node did not become idle in a minute (sinfo: ${r.out.trim()})\n${logs.join('\n')}`);
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  } catch (e) {
    stop();
    throw e;
  }
  return { env, dir, stop };
}

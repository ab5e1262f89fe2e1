/**
 * Which C library's resolver a pod's application most likely uses, from its container
 * images: Alpine-based images and images named for musl use musl; BusyBox images carry their
 * own small resolver that behaves like musl's (parallel nameservers, no search fallback);
 * everything else (Debian, Ubuntu, distroless, UBI...) is glibc. A guess from names: the CLI
 * lets the user override it with `--libc`.
 */
import type { Pod } from '../kube/types.js';
import type { Libc } from './resolver-simulation.js';

export interface LibcGuess {
  libc: Libc;
  /** Why, in words. */
  reason: string;
}

const MUSL_IMAGE = /(^|[/:@_.-])(alpine|musl|busybox)([/:@_.-]|\d|$)/i;

export function libcOfPod(pod: Pod): LibcGuess {
  const images = pod.containers.map((c) => c.image).filter((image) => image !== '');
  const musl = images.find((image) => MUSL_IMAGE.test(image));
  if (musl) return { libc: 'musl', reason: `image ${musl} is Alpine/musl or BusyBox based` };
  if (images.length === 0) return { libc: 'glibc', reason: 'no container image in the pod spec: glibc assumed' };
  return { libc: 'glibc', reason: `image${images.length === 1 ? '' : 's'} ${images.join(', ')}: glibc assumed (no Alpine, musl or BusyBox in the name)` };
}

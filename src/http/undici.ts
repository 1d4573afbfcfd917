// undici loads only where it is used (~60 ms, ~15 MiB): HTTP upload's PUT and a link's HEAD.
// It is CommonJS: Node's own loader exposes its named exports, the bundle (scripts/bundle.ts) only
// `default`, so take `request` from whichever is there.
import type { request as Request } from 'undici';

export async function undiciRequest(): Promise<typeof Request> {
  const m: any = await import('undici');
  return m.request ?? m.default.request;
}

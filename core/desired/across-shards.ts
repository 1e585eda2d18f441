// Checks several specs that are applied as separate stacks (shards of one tenant): a mailbox
// belongs to one shard, and an address to one mailbox across all of them. Each shard's own
// preview could not see it: the other shard's mailboxes are outside its spec.
import { addressKey } from "../address";
import type { SpecProblem } from "../problems";
import { quote } from "../text";
import { placeOf, problemAt } from "./positions";
import { lineRef, type Spec } from "./rules";

export function checkAcrossShards(specs: readonly Spec[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const mailboxes = new Map<string, { file: string; line: string }>();
  const addresses = new Map<string, { file: string; identity: string; line: string }>();
  for (const spec of specs) {
    for (const mailbox of spec.mailboxes) {
      const key = mailbox.identity.toLowerCase();
      const other = mailboxes.get(key);
      if (other !== undefined && other.file !== spec.file) {
        problems.push(
          problemAt(
            spec.file,
            mailbox,
            undefined,
            `mailbox ${quote(mailbox.identity)} is also declared in ${other.file} at ${other.line}; a mailbox belongs to one shard, remove it from one of the files`,
          ),
        );
        continue;
      }
      mailboxes.set(key, { file: spec.file, line: lineRef(mailbox.source.identity) });
      for (const address of [mailbox.primary, ...mailbox.aliases]) {
        const place = placeOf(mailbox, address);
        const claim = addresses.get(addressKey(address));
        if (claim !== undefined && claim.file !== spec.file) {
          problems.push(
            problemAt(
              spec.file,
              mailbox,
              address,
              `${place.role} ${quote(address)} is also claimed by mailbox ${quote(claim.identity)} in ${claim.file} at ${claim.line}; an address belongs to one mailbox, remove it from one of the files`,
            ),
          );
        } else if (claim === undefined) {
          addresses.set(addressKey(address), {
            file: spec.file,
            identity: mailbox.identity,
            line: lineRef(place.position),
          });
        }
      }
    }
  }
  return problems;
}

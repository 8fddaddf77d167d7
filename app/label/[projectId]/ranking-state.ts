// Pure ranking operations on "groups" (best first; a group of 2+ ids is a tie), shared by the
// drag-and-drop board and the keyboard shortcuts so both edit the ranking the same way.
import type { Strength } from "../../../server/annotation/ranking";

export type Groups = string[][];

export function locate(groups: Groups, id: string): { group: number; index: number } | null {
  for (let g = 0; g < groups.length; g++) {
    const index = groups[g]!.indexOf(id);
    if (index >= 0) return { group: g, index };
  }
  return null;
}

/** Removes id; a group left empty disappears. */
export function unplace(groups: Groups, id: string): Groups {
  return groups.map((g) => g.filter((x) => x !== id)).filter((g) => g.length > 0);
}

/** Puts id alone at rank `rank` (0 = best); past the end it becomes the last rank. */
export function placeAt(groups: Groups, id: string, rank: number): Groups {
  const rest = unplace(groups, id);
  const at = Math.max(0, Math.min(rank, rest.length));
  return [...rest.slice(0, at), [id], ...rest.slice(at)];
}

/** One step up: out of a tie it lands just above its old group, else it swaps with the group above. */
export function moveUp(groups: Groups, id: string): Groups {
  const loc = locate(groups, id);
  if (!loc) return placeAt(groups, id, groups.length);
  if (groups[loc.group]!.length > 1) return placeAt(groups, id, loc.group);
  if (loc.group === 0) return groups;
  const next = [...groups];
  [next[loc.group - 1], next[loc.group]] = [next[loc.group]!, next[loc.group - 1]!];
  return next;
}

export function moveDown(groups: Groups, id: string): Groups {
  const loc = locate(groups, id);
  if (!loc) return groups;
  if (groups[loc.group]!.length > 1) return placeAt(groups, id, loc.group + 1);
  if (loc.group === groups.length - 1) return groups;
  const next = [...groups];
  [next[loc.group + 1], next[loc.group]] = [next[loc.group]!, next[loc.group + 1]!];
  return next;
}

/** Ties id with the group above, or, when it already shares a group, unties it to just below. */
export function toggleTie(groups: Groups, id: string): Groups {
  const loc = locate(groups, id);
  if (!loc) return groups;
  if (groups[loc.group]!.length > 1) return placeAt(groups, id, loc.group + 1);
  if (loc.group === 0) return groups;
  return groups.flatMap((g, i) => (i === loc.group ? [] : i === loc.group - 1 ? [[...g, id]] : [g]));
}

export const dividerId = "__unranked__";

/**
 * The board is one sortable list: ranked items, a divider, unranked items. After a drop, two
 * neighbours stay tied only if they were tied before and neither is the dragged item, so dropping
 * into the middle of a tie splits it rather than silently joining it.
 */
export function groupsFromDrop(flat: string[], previous: Groups, draggedId: string): Groups {
  const cut = flat.indexOf(dividerId);
  const placed = cut >= 0 ? flat.slice(0, cut) : flat;
  const groupOf = new Map<string, number>();
  previous.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  const result: Groups = [];
  let prev: string | null = null;
  for (const id of placed) {
    const sameAsPrev = prev !== null && prev !== draggedId && id !== draggedId && groupOf.has(id) && groupOf.get(id) === groupOf.get(prev);
    if (sameAsPrev) result[result.length - 1]!.push(id);
    else result.push([id]);
    prev = id;
  }
  return result;
}

export function flatten(groups: Groups, unplacedInShownOrder: string[]): string[] {
  return [...groups.flat(), dividerId, ...unplacedInShownOrder];
}

/** Strengths are keyed by the two ids facing each other across a boundary, so a reorder that
 *  changes who is next to whom asks again instead of reusing a judgement about other responses. */
export function boundaryKey(upper: string[], lower: string[]): string {
  return `${upper[upper.length - 1]}>${lower[0]}`;
}

export function strengthsFor(groups: Groups, chosen: Record<string, Strength>): (Strength | undefined)[] {
  const out: (Strength | undefined)[] = [];
  for (let i = 0; i + 1 < groups.length; i++) out.push(chosen[boundaryKey(groups[i]!, groups[i + 1]!)]);
  return out;
}

"use client";

import { ModalDialog } from "../../components/modal-dialog";

type Row = [keys: string[], action: string];

const common: Row[] = [
  [["Shift", "A–D"], "Safety rubric grade of the focused response"],
  [["Shift", "P"], "Cycle the prompt policy (allowed → sensitive → disallowed)"],
  [["Shift", "H"], "Jump to the harm category"],
  [["Shift", "R"], "Jump to the rationale"],
  [["Shift", "G"], "Open or close the guidelines"],
  [["Enter"], "Submit (not while typing in a text field)"],
  [["?"], "Show or hide this help"],
  [["Esc"], "Close the guidelines, dialogs and this help"],
];

const rankRows = (k: number): Row[] => [
  [["a", "…"], "Focus a response by its letter (or Tab to it)"],
  [["1", `…${Math.min(k, 9)}`], "Put the focused response at that rank"],
  [["↑", "↓"], "Move the focused response up or down"],
  [["t"], "Tie the focused response with the one above (again: untie)"],
  [["x"], "Take the focused response out of the ranking"],
  [["Shift", "1–4"], "Strength over the rank above: negligible, slight, clear, strong"],
  [["[", "]"], "Weaker / stronger preference over the rank above"],
];

const pairwiseRows: Row[] = [
  [["a", "b"], "Focus response A or B"],
  [["1"], "A is better"],
  [["2"], "B is better"],
  [["3"], "Tie"],
  [["4"], "Both are bad"],
];

export function ShortcutsHelp({ open, onClose, mode, k }: { open: boolean; onClose: () => void; mode: "rank" | "pairwise"; k: number }) {
  const rows = [...(mode === "pairwise" ? pairwiseRows : rankRows(k)), ...common];
  return (
    <ModalDialog open={open} onClose={onClose} title="Keyboard shortcuts">
      <table className="w-full text-sm">
        <tbody>
          {rows.map(([keys, action]) => (
            <tr key={action} className="border-b border-slate-100 last:border-0">
              <td className="whitespace-nowrap py-1.5 pr-4">
                {keys.map((key, i) => (
                  <kbd key={i} className="kbd mr-1">
                    {key}
                  </kbd>
                ))}
              </td>
              <td className="py-1.5 text-slate-700">{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-xs text-slate-500">Shortcuts pause while you type in a text field; press Esc or Tab out of it to use them again.</p>
    </ModalDialog>
  );
}

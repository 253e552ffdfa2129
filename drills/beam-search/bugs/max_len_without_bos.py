# expect-bug: max_len off by one (it counts every token of the sequence, bos included)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    live = [([bos], 0.0)]
    done = []
    for _ in range(max_len):  # max_len new tokens: one too many once bos is counted
        cands = []
        for seq, score in live:
            lp = step_log_probs(seq)
            cands += [(seq + [t], score + float(lp[t])) for t in range(len(lp))]
        cands.sort(key=lambda c: -c[1])
        live = []
        for rank, (seq, score) in enumerate(cands):
            if seq[-1] == eos:
                if rank < beam_width:
                    done.append((seq, score))
            elif len(live) < beam_width:
                live.append((seq, score))
    return max(done + live, key=lambda c: c[1])[0]

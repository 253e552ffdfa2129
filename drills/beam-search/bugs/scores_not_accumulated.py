# expect-bug: scores not accumulated (a hypothesis scores the sum of all its log-probs)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    live = [([bos], 0.0)]
    done = []
    while len(live[0][0]) < max_len:
        cands = []
        for seq, score in live:
            lp = step_log_probs(seq)
            for tok in range(len(lp)):
                cands.append((seq + [tok], float(lp[tok])))  # the step's log-prob replaces the score
        cands.sort(key=lambda c: -c[1])
        live = []
        for rank, (seq, score) in enumerate(cands):
            if seq[-1] == eos:
                if rank < beam_width:
                    done.append((seq, score))
            elif len(live) < beam_width:
                live.append((seq, score))
    return max(done + live, key=lambda c: c[1])[0]

# expect-bug: finished beams dropped (a hypothesis that emits eos must be kept as a candidate answer)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    beams = [([bos], 0.0)]
    for _ in range(max_len - 1):
        cands = []
        for seq, score in beams:
            lp = np.asarray(step_log_probs(seq))
            for tok in range(lp.size):
                if tok == eos:
                    continue  # a beam that ends is simply removed from the search
                cands.append((seq + [tok], score + lp[tok]))
        cands.sort(key=lambda c: c[1], reverse=True)
        beams = cands[:beam_width]
    return max(beams, key=lambda c: c[1])[0]

# expect-bug: eos treated as an ordinary token (a finished hypothesis must not be extended)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    beams = [([bos], 0.0)]
    while len(beams[0][0]) < max_len:
        cands = []
        for seq, score in beams:
            lp = np.asarray(step_log_probs(seq))
            for tok in np.argsort(-lp)[:beam_width]:
                cands.append((seq + [int(tok)], score + float(lp[tok])))
        beams = sorted(cands, key=lambda c: -c[1])[:beam_width]
    return max(beams, key=lambda c: c[1])[0]

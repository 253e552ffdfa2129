# expect-bug: candidates not ranked across beams (each beam's top beam_width continuations, then the first beam_width in beam order; rank every beam's extensions together by total score)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    beams, finished = [([bos], 0.0)], []
    while beams and len(beams[0][0]) < max_len:
        grown = []
        for seq, score in beams:
            log_p = np.asarray(step_log_probs(list(seq)))
            for tok in np.argsort(-log_p)[:beam_width]:  # the best of this beam only
                grown.append((seq + [int(tok)], score + float(log_p[tok])))
        finished += [h for h in grown if h[0][-1] == eos]
        beams = [h for h in grown if h[0][-1] != eos][:beam_width]  # in beam order, not by score
    return max(finished + beams, key=lambda h: h[1])[0]

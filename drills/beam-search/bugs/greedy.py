# expect-bug: greedy instead of beam (only the single best hypothesis kept at each step)
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    # beam_width is accepted but only the best token is followed
    seq = [bos]
    while len(seq) < max_len:
        tok = int(np.argmax(step_log_probs(seq)))
        seq.append(tok)
        if tok == eos:
            break
    return seq

"""The plain draw the choice tests compare against: multinomial logit by the highest ``V + ε``."""

from __future__ import annotations

import numpy as np

from agents.choice import Draw, PlainDraw


def flat_draw(errors: np.ndarray) -> Draw:
    """Plain multinomial logit: the alternative with the highest ``V + errors`` (Gumbel errors per decider)."""
    return PlainDraw(lambda V, kind: np.argmax(V[kind] + errors, axis=1))

"""The knowledge base: articles, the index that finds them, the calibrated score, and what answers itself.

``articles`` edits them (revisions, variants, categories); ``index`` holds
every process's in-memory ranking of the published ones; ``suggest`` asks
it and logs what was shown; ``calibration`` turns a raw score into the
probability that the article answers the question; ``autoreply`` and the
IVR's self-service act on that probability.
"""

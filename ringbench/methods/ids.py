"""Integer ids of the server rules; the engine dispatches on them (cacheable, unlike function arguments)."""

ASGD = 0
RINGMASTER = 1
RENNALA = 2
MINIBATCH = 3
RINGLEADER = 4
MALENIA = 5
IA2SGD = 6
FEDBUFF = 7

"""The jitted discrete-event core: heap, snapshots, server primitives, recording, the loop."""

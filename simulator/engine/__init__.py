"""The provisioning engine: scope, scoping filters, attribute mappings, matching, cycles.

Pure decisions (expressions, scoping, mappings, diff) live in their own modules;
the cycle code that talks to the target over httpx is added by the engine integrator.
"""

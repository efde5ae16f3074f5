# opendo: one entry point.  make | make test | make demo | make install | make bench
#
# Two passes, so that nothing can run before the bootstrap. This file is the first pass: it runs
# scripts/bootstrap.sh (Debian packages, the cross-built Windows dependencies) and only then hands
# every goal, as typed, to a second make that reads the build graph (rules.mk). No rule of the
# graph can start before the bootstrap has finished, whatever the goal and whatever -j; a new
# rule needs nothing to get this. tests/build/bootstrap_first.sh checks it for every goal.

# Goals that need nothing the bootstrap installs: a fresh machine can run them without it.
NO_BOOTSTRAP_GOALS := clean distclean

GOALS := $(or $(MAKECMDGOALS),all)
FIRST_GOAL := $(firstword $(GOALS))

.PHONY: $(GOALS)
$(FIRST_GOAL):
ifneq ($(filter-out $(NO_BOOTSTRAP_GOALS),$(GOALS)),)
	@bash scripts/bootstrap.sh
endif
	@$(MAKE) --no-print-directory -f rules.mk $(MAKECMDGOALS)

# The other goals were handed over with the first one.
$(filter-out $(FIRST_GOAL),$(GOALS)): $(FIRST_GOAL) ; @:

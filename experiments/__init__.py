"""Running many models: scenarios, sweeps, the parallel runner, the results store and analyses."""

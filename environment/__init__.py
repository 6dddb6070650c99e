"""The world the agents see: places, transport, housing, jobs, schools, levers, targets and inputs."""

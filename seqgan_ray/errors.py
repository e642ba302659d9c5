"""The exceptions the driver handles: bad input (the CLI prints it in one line, exit 2) and a
lost learner (trainer.train restarts it from the last checkpoint)."""


class UserError(Exception):
    """A problem with what the user gave us (config, corpus, checkpoint, path), not a bug."""


class LearnerLost(Exception):
    """The learner actor died (its process or its node). The Ray layer raises it; the driver
    (trainer.train) rebuilds the learner from the run's last checkpoint and continues."""

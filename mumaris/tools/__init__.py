"""What developers and operations run, not what the services run on: the local stack launcher and
its stand-ins (SMS gateway, mail catcher), the `mumaris` CLI, the demo, the dead-letter tools and
the Grafana dashboard generator. The runtime (`mumaris/` above) never imports from here."""

"""The production profile on one machine (`make stack`), its checks (`make stack-test`) and its
load test (`make load`). Not part of the app: nothing under diary/, witnesses/ or project/
imports from here. See docs/deploy.md."""

# The two commands of the README. Both install what is missing first.
#   make run    build the app and open it (demo mode on a fresh machine)
#   make test   every check and test, with the services they need

SHELL := /bin/bash

.PHONY: run test setup ui app clean-data deploy

run:
	scripts/setup.sh run
	scripts/run.sh

test:
	scripts/setup.sh test
	scripts/test.sh

# The serverless half on AWS for a cloud profile: `make deploy PROFILE=name`
# (builds the release function, then `stratus deploy` shows the plan and asks).
deploy:
	scripts/setup.sh run
	scripts/deploy.sh "$(PROFILE)"

# Only the installs (apt, npm, Python venv with moto, tauri-driver).
setup:
	scripts/setup.sh test

ui:
	cd ui && npm run build

app: ui
	cargo build -p stratus-desktop

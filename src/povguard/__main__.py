from povguard.cli.main import run

run()

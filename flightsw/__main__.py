from flightsw.cli import main

raise SystemExit(main())

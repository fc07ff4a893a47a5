from pendopo.cli import main

raise SystemExit(main())

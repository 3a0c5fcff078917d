from symbackprop.cli import main

raise SystemExit(main())

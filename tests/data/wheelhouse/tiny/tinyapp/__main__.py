from tinyapp import main

print(main())

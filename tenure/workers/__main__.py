from tenure.workers.worker import main

main()

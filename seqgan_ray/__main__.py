from seqgan_ray.cli.app import main

main()

import { z } from "zod";

/** A network's `ipam:`. Addresses are checked in normalization; the host policy judges the subnets and the driver. */
const ipamPool = z.strictObject({
  subnet: z.string().optional().describe('The subnet, in CIDR form: "172.28.0.0/16".'),
  ip_range: z.string().optional().describe("The part of the subnet containers get addresses from, in CIDR form."),
  gateway: z.string().optional().describe("The gateway's address, inside the subnet."),
  aux_addresses: z.record(z.string(), z.string()).optional().describe("Addresses in the subnet that are not handed out, by name."),
});

export const ipamSchema = z
  .strictObject({
    driver: z.string().optional().describe("The IPAM driver. Default: the Engine's own (the host policy must allow any other)."),
    config: z.array(ipamPool).optional(),
    options: z.record(z.string(), z.string()).optional().describe("The IPAM driver's options."),
  })
  .describe("The network's addresses: subnets, ranges, gateways. The host policy limits the subnets (network_subnets).");

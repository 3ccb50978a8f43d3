/** Cytoscape, as a script of its own (see lib/vendor.ts): only a case's page draws a graph. */
import cytoscape from 'cytoscape';
import { publishVendor } from '../lib/vendor-registry.ts';

export interface GraphVendor {
  readonly cytoscape: typeof cytoscape;
}

publishVendor('graph', { cytoscape } satisfies GraphVendor);

/**
 * Ingress controllers netdump can recognise by container image, keyed by the
 * IngressClass `spec.controller` they claim.
 */
import type { ControllerSignature } from './controller-sightings.js';

export const KNOWN_INGRESS_CONTROLLERS: readonly (ControllerSignature & { controller: string })[] = [
  { controller: 'k8s.io/ingress-nginx', name: 'ingress-nginx', image: /ingress-nginx\/controller|nginx-ingress-controller/ },
  { controller: 'traefik.io/ingress-controller', name: 'Traefik', image: /traefik/ },
  { controller: 'haproxy.org/ingress-controller', name: 'HAProxy Kubernetes Ingress', image: /haproxytech\/kubernetes-ingress/ },
  { controller: 'haproxy-ingress.github.io/controller', name: 'HAProxy Ingress', image: /haproxy-ingress/ },
  { controller: 'nginx.org/ingress-controller', name: 'NGINX Ingress Controller (F5)', image: /nginx\/nginx-ingress|nginx-plus-ingress/ },
  { controller: 'projectcontour.io/ingress-controller', name: 'Contour', image: /projectcontour\/contour/ },
  { controller: 'projectcontour.io/contour', name: 'Contour', image: /projectcontour\/contour/ },
  { controller: 'ingress-controllers.konghq.com/kong', name: 'Kong', image: /kong\/kubernetes-ingress-controller/ },
  { controller: 'ingress.k8s.aws/alb', name: 'AWS Load Balancer Controller', image: /aws-load-balancer-controller/ },
];

/** The known controller for an IngressClass's spec.controller (a suffix like `/prod` is allowed). */
export function knownIngressController(controller: string) {
  return KNOWN_INGRESS_CONTROLLERS.find((k) => controller === k.controller || controller.startsWith(`${k.controller}/`));
}

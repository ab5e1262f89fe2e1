/**
 * kubectl output as it lands in a bundle: `kubectl get <resource> -A -o json` (keys sorted,
 * 4-space indentation) and `-o yaml`, written out by hand so that line numbers in the tests
 * can be checked against the text itself.
 */

/** 1-based line of the last needle, each needle searched after the previous one. */
export function findLine(text: string, ...needles: string[]): number {
  let offset = 0;
  let at = -1;
  for (const needle of needles) {
    at = text.indexOf(needle, offset);
    if (at < 0) throw new Error(`findLine: ${JSON.stringify(needle)} not found after offset ${offset}`);
    offset = at + needle.length;
  }
  return text.slice(0, at).split('\n').length;
}

/** 1-based lines whose whole text is `line` (kubectl opens each List item with 8 spaces and `{`). */
export function linesEqualTo(text: string, line: string): number[] {
  const found: number[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l === line) found.push(i + 1);
  });
  return found;
}

/**
 * Three pods: a dual-stack ready one whose annotations hold JSON in a string (braces, quotes,
 * escapes), one in CrashLoopBackOff with an init container and only `podIP`, and a
 * hostNetwork kube-proxy pod being deleted.
 */
export const PODS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"cart\"}},\"spec\":{\"containers\":[{\"name\":\"cart\"}]}}\n",
                    "note": "a \\ backslash, a ] bracket and a } brace"
                },
                "creationTimestamp": "2026-11-26T09:12:44Z",
                "generateName": "cart-7d9f8b6c4d-",
                "labels": {
                    "app": "cart",
                    "app.kubernetes.io/name": "cart",
                    "pod-template-hash": "7d9f8b6c4d"
                },
                "name": "cart-7d9f8b6c4d-x2x7q",
                "namespace": "shop",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "ReplicaSet",
                        "name": "cart-7d9f8b6c4d",
                        "uid": "6f2a3c1e-8b9d-4e21-a0c4-1f5b2d7e9a10"
                    }
                ],
                "resourceVersion": "48213",
                "uid": "0b6e2f4a-91c3-4c2d-9e1f-3a5b7c9d1e2f"
            },
            "spec": {
                "containers": [
                    {
                        "args": [
                            "--listen=:8080",
                            "--banner={\"ok\": [1, 2]}"
                        ],
                        "image": "registry.example.com/shop/cart:1.4.2",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "cart",
                        "ports": [
                            {
                                "containerPort": 8080,
                                "name": "http",
                                "protocol": "TCP"
                            },
                            {
                                "containerPort": 9090,
                                "name": "metrics"
                            }
                        ],
                        "readinessProbe": {
                            "failureThreshold": 3,
                            "httpGet": {
                                "path": "/healthz",
                                "port": "http",
                                "scheme": "HTTP"
                            },
                            "periodSeconds": 10,
                            "successThreshold": 1,
                            "timeoutSeconds": 1
                        },
                        "resources": {
                            "limits": {
                                "memory": "256Mi"
                            },
                            "requests": {
                                "cpu": "100m",
                                "memory": "128Mi"
                            }
                        },
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "node-a",
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccount": "default",
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-26T09:12:44Z",
                        "status": "True",
                        "type": "Initialized"
                    },
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-26T09:12:51Z",
                        "status": "True",
                        "type": "Ready"
                    },
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-26T09:12:51Z",
                        "status": "True",
                        "type": "ContainersReady"
                    },
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-26T09:12:44Z",
                        "status": "True",
                        "type": "PodScheduled"
                    }
                ],
                "containerStatuses": [
                    {
                        "containerID": "containerd://3f1e9c0d2b7a",
                        "image": "registry.example.com/shop/cart:1.4.2",
                        "imageID": "registry.example.com/shop/cart@sha256:9a1b2c3d",
                        "lastState": {},
                        "name": "cart",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-11-26T09:12:47Z"
                            }
                        }
                    }
                ],
                "hostIP": "172.18.0.3",
                "hostIPs": [
                    {
                        "ip": "172.18.0.3"
                    }
                ],
                "phase": "Running",
                "podIP": "10.244.1.5",
                "podIPs": [
                    {
                        "ip": "10.244.1.5"
                    },
                    {
                        "ip": "fd00:10:244:1::5"
                    }
                ],
                "qosClass": "Burstable",
                "startTime": "2026-11-26T09:12:44Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:12:44Z",
                "generateName": "cart-7d9f8b6c4d-",
                "labels": {
                    "app": "cart",
                    "app.kubernetes.io/name": "cart",
                    "pod-template-hash": "7d9f8b6c4d"
                },
                "name": "cart-7d9f8b6c4d-k8s9z",
                "namespace": "shop",
                "resourceVersion": "48377",
                "uid": "5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40"
            },
            "spec": {
                "containers": [
                    {
                        "image": "registry.example.com/shop/cart:1.4.2",
                        "name": "cart",
                        "ports": [
                            {
                                "containerPort": 8080,
                                "name": "http",
                                "protocol": "TCP"
                            }
                        ]
                    }
                ],
                "initContainers": [
                    {
                        "command": [
                            "sh",
                            "-c",
                            "until nslookup db.shop.svc.cluster.local; do sleep 2; done"
                        ],
                        "image": "busybox:1.36",
                        "name": "wait-db"
                    }
                ],
                "nodeName": "node-b"
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-26T09:13:02Z",
                        "message": "containers with unready status: [cart]",
                        "reason": "ContainersNotReady",
                        "status": "False",
                        "type": "Ready"
                    }
                ],
                "containerStatuses": [
                    {
                        "containerID": "containerd://77ab01c9e3f4",
                        "image": "registry.example.com/shop/cart:1.4.2",
                        "imageID": "registry.example.com/shop/cart@sha256:9a1b2c3d",
                        "lastState": {
                            "terminated": {
                                "containerID": "containerd://77ab01c9e3f4",
                                "exitCode": 1,
                                "finishedAt": "2026-11-26T09:20:11Z",
                                "reason": "Error",
                                "startedAt": "2026-11-26T09:20:10Z"
                            }
                        },
                        "name": "cart",
                        "ready": false,
                        "restartCount": 7,
                        "started": false,
                        "state": {
                            "waiting": {
                                "message": "back-off 5m0s restarting failed container=cart pod=cart-7d9f8b6c4d-k8s9z_shop(5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40)",
                                "reason": "CrashLoopBackOff"
                            }
                        }
                    }
                ],
                "hostIP": "172.18.0.4",
                "initContainerStatuses": [
                    {
                        "containerID": "containerd://0c9d8e7f6a5b",
                        "image": "docker.io/library/busybox:1.36",
                        "imageID": "docker.io/library/busybox@sha256:7b3ccabffc97",
                        "lastState": {},
                        "name": "wait-db",
                        "ready": true,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "containerID": "containerd://0c9d8e7f6a5b",
                                "exitCode": 0,
                                "finishedAt": "2026-11-26T09:12:58Z",
                                "reason": "Completed",
                                "startedAt": "2026-11-26T09:12:46Z"
                            }
                        }
                    }
                ],
                "phase": "Running",
                "podIP": "10.244.2.7",
                "qosClass": "BestEffort",
                "startTime": "2026-11-26T09:12:44Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-11-20T07:00:00Z",
                "deletionGracePeriodSeconds": 30,
                "deletionTimestamp": "2026-11-26T10:00:30Z",
                "labels": {
                    "controller-revision-hash": "6c5b8d9f7",
                    "k8s-app": "kube-proxy",
                    "pod-template-generation": "1"
                },
                "name": "kube-proxy-7xq2m",
                "namespace": "kube-system",
                "resourceVersion": "50112",
                "uid": "c3f1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b"
            },
            "spec": {
                "containers": [
                    {
                        "command": [
                            "/usr/local/bin/kube-proxy",
                            "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)"
                        ],
                        "image": "registry.k8s.io/kube-proxy:v1.30.2",
                        "name": "kube-proxy"
                    }
                ],
                "hostNetwork": true,
                "nodeName": "node-a",
                "priorityClassName": "system-node-critical"
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-11-20T07:00:05Z",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "containerStatuses": [
                    {
                        "image": "registry.k8s.io/kube-proxy:v1.30.2",
                        "imageID": "registry.k8s.io/kube-proxy@sha256:1f1c2b3a",
                        "lastState": {},
                        "name": "kube-proxy",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-11-20T07:00:04Z"
                            }
                        }
                    }
                ],
                "hostIP": "172.18.0.3",
                "phase": "Running",
                "podIP": "172.18.0.3",
                "podIPs": [
                    {
                        "ip": "172.18.0.3"
                    }
                ]
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** Services: a dual-stack ClusterIP with a named targetPort, a headless one, an ExternalName, an eTP=Local LoadBalancer. */
export const SERVICES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "labels": {
                    "app.kubernetes.io/name": "cart"
                },
                "name": "cart",
                "namespace": "shop",
                "resourceVersion": "47001",
                "uid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
            },
            "spec": {
                "clusterIP": "10.96.12.34",
                "clusterIPs": [
                    "10.96.12.34",
                    "fd00:10:96::1234"
                ],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": [
                    "IPv4",
                    "IPv6"
                ],
                "ipFamilyPolicy": "PreferDualStack",
                "ports": [
                    {
                        "name": "http",
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": "http"
                    },
                    {
                        "name": "metrics",
                        "port": 9090,
                        "protocol": "TCP"
                    }
                ],
                "selector": {
                    "app.kubernetes.io/name": "cart"
                },
                "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": {
                    "clientIP": {
                        "timeoutSeconds": 10800
                    }
                },
                "type": "ClusterIP"
            },
            "status": {
                "loadBalancer": {}
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "name": "cart-headless",
                "namespace": "shop",
                "resourceVersion": "47002",
                "uid": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
            },
            "spec": {
                "clusterIP": "None",
                "clusterIPs": [
                    "None"
                ],
                "ports": [
                    {
                        "port": 8080,
                        "protocol": "TCP",
                        "targetPort": 8080
                    }
                ],
                "publishNotReadyAddresses": true,
                "selector": {
                    "app": "cart"
                },
                "type": "ClusterIP"
            },
            "status": {
                "loadBalancer": {}
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "name": "payments",
                "namespace": "shop",
                "resourceVersion": "47003",
                "uid": "3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f"
            },
            "spec": {
                "externalName": "payments.example.net",
                "sessionAffinity": "None",
                "type": "ExternalName"
            },
            "status": {
                "loadBalancer": {}
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "name": "ingress-nginx-controller",
                "namespace": "ingress-nginx",
                "resourceVersion": "47004",
                "uid": "4d5e6f7a-8b9c-4d0e-1f2a-3b4c5d6e7f80"
            },
            "spec": {
                "allocateLoadBalancerNodePorts": true,
                "clusterIP": "10.96.200.10",
                "externalTrafficPolicy": "Local",
                "healthCheckNodePort": 31974,
                "ports": [
                    {
                        "appProtocol": "http",
                        "name": "http",
                        "nodePort": 30080,
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": "http"
                    },
                    {
                        "appProtocol": "https",
                        "name": "https",
                        "nodePort": 30443,
                        "port": 443,
                        "protocol": "TCP",
                        "targetPort": 8443
                    }
                ],
                "selector": {
                    "app.kubernetes.io/component": "controller",
                    "app.kubernetes.io/name": "ingress-nginx"
                },
                "type": "LoadBalancer"
            },
            "status": {
                "loadBalancer": {
                    "ingress": [
                        {
                            "ip": "203.0.113.10",
                            "ipMode": "VIP"
                        },
                        {
                            "hostname": "a1b2c3.elb.eu-west-1.amazonaws.com"
                        }
                    ]
                }
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** The same first two Services as `kubectl get services -A -o yaml` prints them. */
export const SERVICES_YAML = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-11-26T09:10:00Z"
    labels:
      app.kubernetes.io/name: cart
    name: cart
    namespace: shop
    resourceVersion: "47001"
    uid: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
  spec:
    clusterIP: 10.96.12.34
    clusterIPs:
    - 10.96.12.34
    - fd00:10:96::1234
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    - IPv6
    ipFamilyPolicy: PreferDualStack
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: http
    - name: metrics
      port: 9090
      protocol: TCP
    selector:
      app.kubernetes.io/name: cart
    sessionAffinity: ClientIP
    sessionAffinityConfig:
      clientIP:
        timeoutSeconds: 10800
    type: ClusterIP
  status:
    loadBalancer: {}
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-11-26T09:10:00Z"
    name: cart-headless
    namespace: shop
    resourceVersion: "47002"
    uid: 2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e
  spec:
    clusterIP: None
    clusterIPs:
    - None
    ports:
    - port: 8080
      protocol: TCP
      targetPort: 8080
    publishNotReadyAddresses: true
    selector:
      app: cart
    type: ClusterIP
  status:
    loadBalancer: {}
kind: List
metadata:
  resourceVersion: ""
`;

/**
 * EndpointSlices of shop/cart: a v1 slice whose endpoints exercise the condition defaults
 * (all set; ready only; none; not ready with serving unset; terminating but serving), an
 * IPv6 slice, and a v1beta1 slice with the old topology map.
 */
export const ENDPOINTSLICES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "addressType": "IPv4",
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [
                {
                    "addresses": [
                        "10.244.1.5"
                    ],
                    "conditions": {
                        "ready": true,
                        "serving": true,
                        "terminating": false
                    },
                    "nodeName": "node-a",
                    "targetRef": {
                        "kind": "Pod",
                        "name": "cart-7d9f8b6c4d-x2x7q",
                        "namespace": "shop",
                        "uid": "0b6e2f4a-91c3-4c2d-9e1f-3a5b7c9d1e2f"
                    },
                    "zone": "eu-west-1a"
                },
                {
                    "addresses": [
                        "10.244.3.9"
                    ],
                    "conditions": {
                        "ready": true
                    },
                    "nodeName": "node-c"
                },
                {
                    "addresses": [
                        "10.244.3.10"
                    ],
                    "conditions": {}
                },
                {
                    "addresses": [
                        "10.244.2.7"
                    ],
                    "conditions": {
                        "ready": false
                    },
                    "nodeName": "node-b",
                    "targetRef": {
                        "kind": "Pod",
                        "name": "cart-7d9f8b6c4d-k8s9z",
                        "namespace": "shop",
                        "uid": "5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40"
                    }
                },
                {
                    "addresses": [
                        "10.244.1.8"
                    ],
                    "conditions": {
                        "ready": false,
                        "serving": true,
                        "terminating": true
                    },
                    "nodeName": "node-a"
                }
            ],
            "kind": "EndpointSlice",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "generateName": "cart-",
                "generation": 14,
                "labels": {
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    "kubernetes.io/service-name": "cart"
                },
                "name": "cart-x7k2p",
                "namespace": "shop",
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "Service",
                        "name": "cart",
                        "uid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
                    }
                ],
                "resourceVersion": "48390",
                "uid": "9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b"
            },
            "ports": [
                {
                    "name": "http",
                    "port": 8080,
                    "protocol": "TCP"
                },
                {
                    "name": "metrics",
                    "port": 9090,
                    "protocol": "TCP"
                }
            ]
        },
        {
            "addressType": "IPv6",
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [
                {
                    "addresses": [
                        "fd00:10:244:1::5"
                    ],
                    "conditions": {
                        "ready": true,
                        "serving": true,
                        "terminating": false
                    },
                    "nodeName": "node-a"
                }
            ],
            "kind": "EndpointSlice",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "generateName": "cart-",
                "labels": {
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    "kubernetes.io/service-name": "cart"
                },
                "name": "cart-q9w8e",
                "namespace": "shop",
                "resourceVersion": "48391",
                "uid": "8d7c6b5a-4f3e-4d2c-1b0a-9f8e7d6c5b4a"
            },
            "ports": [
                {
                    "name": "http",
                    "port": 8080,
                    "protocol": "TCP"
                }
            ]
        },
        {
            "addressType": "IPv4",
            "apiVersion": "discovery.k8s.io/v1beta1",
            "endpoints": [
                {
                    "addresses": [
                        "10.244.2.41"
                    ],
                    "conditions": {
                        "ready": true
                    },
                    "hostname": "legacy-0",
                    "topology": {
                        "kubernetes.io/hostname": "worker2",
                        "topology.kubernetes.io/zone": "eu-west-1b"
                    }
                }
            ],
            "kind": "EndpointSlice",
            "metadata": {
                "labels": {
                    "kubernetes.io/service-name": "legacy"
                },
                "name": "legacy-abc12",
                "namespace": "shop",
                "uid": "7c6b5a4f-3e2d-4c1b-0a9f-8e7d6c5b4a39"
            },
            "ports": [
                {
                    "port": 8081
                }
            ]
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** core/v1 Endpoints of shop/cart: one ready and one not-ready address. */
export const ENDPOINTS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "annotations": {
                    "endpoints.kubernetes.io/last-change-trigger-time": "2026-11-26T09:20:11Z"
                },
                "creationTimestamp": "2026-11-26T09:10:00Z",
                "labels": {
                    "app.kubernetes.io/name": "cart"
                },
                "name": "cart",
                "namespace": "shop",
                "resourceVersion": "48392",
                "uid": "6b5a4f3e-2d1c-4b0a-9f8e-7d6c5b4a3928"
            },
            "subsets": [
                {
                    "addresses": [
                        {
                            "ip": "10.244.1.5",
                            "nodeName": "node-a",
                            "targetRef": {
                                "kind": "Pod",
                                "name": "cart-7d9f8b6c4d-x2x7q",
                                "namespace": "shop",
                                "uid": "0b6e2f4a-91c3-4c2d-9e1f-3a5b7c9d1e2f"
                            }
                        }
                    ],
                    "notReadyAddresses": [
                        {
                            "ip": "10.244.2.7",
                            "nodeName": "node-b",
                            "targetRef": {
                                "kind": "Pod",
                                "name": "cart-7d9f8b6c4d-k8s9z",
                                "namespace": "shop",
                                "uid": "5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40"
                            }
                        }
                    ],
                    "ports": [
                        {
                            "name": "http",
                            "port": 8080,
                            "protocol": "TCP"
                        }
                    ]
                }
            ]
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/**
 * NetworkPolicies: types as written; types omitted with egress rules; types omitted with
 * ingress rules only; types omitted with an empty egress list.
 */
export const NETWORKPOLICIES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "default-deny-egress",
                "namespace": "shop",
                "uid": "5a4f3e2d-1c0b-4a9f-8e7d-6c5b4a392817"
            },
            "spec": {
                "podSelector": {},
                "policyTypes": [
                    "Egress"
                ]
            }
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "cart-to-db",
                "namespace": "shop",
                "uid": "4f3e2d1c-0b0a-4f8e-7d6c-5b4a39281706"
            },
            "spec": {
                "egress": [
                    {
                        "ports": [
                            {
                                "port": 5432,
                                "protocol": "TCP"
                            }
                        ],
                        "to": [
                            {
                                "podSelector": {
                                    "matchLabels": {
                                        "app": "db"
                                    }
                                }
                            }
                        ]
                    }
                ],
                "podSelector": {
                    "matchExpressions": [
                        {
                            "key": "app",
                            "operator": "In",
                            "values": [
                                "cart",
                                "checkout"
                            ]
                        }
                    ],
                    "matchLabels": {
                        "app.kubernetes.io/part-of": "shop"
                    }
                }
            }
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "allow-from-ingress",
                "namespace": "shop",
                "uid": "3e2d1c0b-0a9f-4e7d-6c5b-4a3928170605"
            },
            "spec": {
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {
                                        "kubernetes.io/metadata.name": "ingress-nginx"
                                    }
                                }
                            }
                        ]
                    }
                ],
                "podSelector": {
                    "matchLabels": {
                        "app": "cart"
                    }
                }
            }
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "empty-egress",
                "namespace": "shop",
                "uid": "2d1c0b0a-9f8e-4d6c-5b4a-392817060504"
            },
            "spec": {
                "egress": [],
                "podSelector": {
                    "matchLabels": {
                        "app": "db"
                    }
                }
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/**
 * Ingresses: a networking.k8s.io/v1 one with ingressClassName, TLS, a port name and a
 * resource backend; a v1 one classed by annotation with a defaultBackend; a v1beta1-shaped one
 * (serviceName/servicePort) with no class.
 */
export const INGRESSES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "shop",
                "namespace": "shop",
                "uid": "1c0b0a9f-8e7d-4c5b-4a39-281706050403"
            },
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "shop.example.com",
                        "http": {
                            "paths": [
                                {
                                    "backend": {
                                        "service": {
                                            "name": "cart",
                                            "port": {
                                                "number": 80
                                            }
                                        }
                                    },
                                    "path": "/cart",
                                    "pathType": "Prefix"
                                },
                                {
                                    "backend": {
                                        "service": {
                                            "name": "cart",
                                            "port": {
                                                "name": "metrics"
                                            }
                                        }
                                    },
                                    "path": "/metrics",
                                    "pathType": "Exact"
                                },
                                {
                                    "backend": {
                                        "resource": {
                                            "apiGroup": "k8s.example.com",
                                            "kind": "StorageBucket",
                                            "name": "static-assets"
                                        }
                                    },
                                    "path": "/static",
                                    "pathType": "ImplementationSpecific"
                                }
                            ]
                        }
                    }
                ],
                "tls": [
                    {
                        "hosts": [
                            "shop.example.com"
                        ],
                        "secretName": "shop-tls"
                    }
                ]
            },
            "status": {
                "loadBalancer": {
                    "ingress": [
                        {
                            "ip": "203.0.113.10"
                        }
                    ]
                }
            }
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "annotations": {
                    "kubernetes.io/ingress.class": "traefik"
                },
                "name": "docs",
                "namespace": "shop",
                "uid": "0b0a9f8e-7d6c-4b4a-3928-170605040302"
            },
            "spec": {
                "defaultBackend": {
                    "service": {
                        "name": "docs",
                        "port": {
                            "number": 8080
                        }
                    }
                }
            },
            "status": {
                "loadBalancer": {}
            }
        },
        {
            "apiVersion": "extensions/v1beta1",
            "kind": "Ingress",
            "metadata": {
                "name": "legacy",
                "namespace": "shop",
                "uid": "0a9f8e7d-6c5b-4a39-2817-060504030201"
            },
            "spec": {
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "backend": {
                                        "serviceName": "legacy",
                                        "servicePort": 8081
                                    },
                                    "path": "/"
                                },
                                {
                                    "backend": {
                                        "serviceName": "legacy",
                                        "servicePort": "admin"
                                    },
                                    "path": "/admin"
                                }
                            ]
                        }
                    }
                ]
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

export const INGRESSCLASSES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "annotations": {
                    "ingressclass.kubernetes.io/is-default-class": "true"
                },
                "labels": {
                    "app.kubernetes.io/name": "ingress-nginx"
                },
                "name": "nginx",
                "uid": "f9e8d7c6-b5a4-4938-2716-050403020100"
            },
            "spec": {
                "controller": "k8s.io/ingress-nginx"
            }
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "traefik",
                "uid": "e8d7c6b5-a493-4827-1605-0403020100ff"
            },
            "spec": {
                "controller": "traefik.io/ingress-controller"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** kube-system ConfigMaps: CoreDNS serving a custom cluster domain (with the trailing dot). */
export const CONFIGMAPS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "data": {
                "Corefile": ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes corp.internal. in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
            },
            "kind": "ConfigMap",
            "metadata": {
                "creationTimestamp": "2026-11-20T07:00:00Z",
                "name": "coredns",
                "namespace": "kube-system",
                "resourceVersion": "231",
                "uid": "d7c6b5a4-9382-4716-0504-03020100ffee"
            }
        },
        {
            "apiVersion": "v1",
            "data": {
                "config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n"
            },
            "kind": "ConfigMap",
            "metadata": {
                "labels": {
                    "app": "kube-proxy"
                },
                "name": "kube-proxy",
                "namespace": "kube-system",
                "uid": "c6b5a493-8271-4605-0403-020100ffeedd"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

export const NAMESPACES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "creationTimestamp": "2026-11-20T07:00:00Z",
                "labels": {
                    "kubernetes.io/metadata.name": "shop"
                },
                "name": "shop",
                "resourceVersion": "180",
                "uid": "b5a49382-7160-4504-0302-0100ffeeddcc"
            },
            "spec": {
                "finalizers": [
                    "kubernetes"
                ]
            },
            "status": {
                "phase": "Active"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "deletionTimestamp": "2026-11-26T09:00:00Z",
                "labels": {
                    "kubernetes.io/metadata.name": "old-shop"
                },
                "name": "old-shop",
                "uid": "a4938271-6050-4403-0201-00ffeeddccbb"
            },
            "status": {
                "phase": "Terminating"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

export const NODES_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "labels": {
                    "kubernetes.io/hostname": "node-a",
                    "node-role.kubernetes.io/control-plane": ""
                },
                "name": "node-a",
                "uid": "93827160-5040-4302-0100-ffeeddccbbaa"
            },
            "spec": {
                "podCIDR": "10.244.1.0/24",
                "podCIDRs": [
                    "10.244.1.0/24",
                    "fd00:10:244:1::/64"
                ],
                "taints": [
                    {
                        "effect": "NoSchedule",
                        "key": "node-role.kubernetes.io/control-plane"
                    }
                ]
            },
            "status": {
                "addresses": [
                    {
                        "address": "172.18.0.3",
                        "type": "InternalIP"
                    },
                    {
                        "address": "node-a",
                        "type": "Hostname"
                    }
                ],
                "conditions": [
                    {
                        "lastHeartbeatTime": "2026-11-26T09:59:00Z",
                        "lastTransitionTime": "2026-11-20T07:00:10Z",
                        "message": "kubelet is posting ready status",
                        "reason": "KubeletReady",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "nodeInfo": {
                    "architecture": "amd64",
                    "containerRuntimeVersion": "containerd://1.7.18",
                    "kernelVersion": "6.8.0-45-generic",
                    "kubeProxyVersion": "v1.30.2",
                    "kubeletVersion": "v1.30.2",
                    "operatingSystem": "linux",
                    "osImage": "Debian GNU/Linux 12 (bookworm)"
                }
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": "node-b",
                "uid": "82716050-4030-4201-00ff-eeddccbbaa99"
            },
            "spec": {
                "podCIDR": "10.244.2.0/24",
                "unschedulable": true
            },
            "status": {
                "addresses": [
                    {
                        "address": "172.18.0.4",
                        "type": "InternalIP"
                    },
                    {
                        "address": "198.51.100.4",
                        "type": "ExternalIP"
                    }
                ],
                "conditions": [
                    {
                        "message": "Kubelet stopped posting node status.",
                        "reason": "NodeStatusUnknown",
                        "status": "Unknown",
                        "type": "Ready"
                    }
                ]
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

export const DAEMONSETS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "generation": 1,
                "labels": {
                    "k8s-app": "kube-proxy"
                },
                "name": "kube-proxy",
                "namespace": "kube-system",
                "uid": "71605040-3020-4100-ffee-ddccbbaa9988"
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "k8s-app": "kube-proxy"
                    }
                },
                "template": {
                    "metadata": {
                        "labels": {
                            "k8s-app": "kube-proxy"
                        }
                    },
                    "spec": {
                        "containers": [
                            {
                                "image": "registry.k8s.io/kube-proxy:v1.30.2",
                                "name": "kube-proxy"
                            }
                        ],
                        "hostNetwork": true
                    }
                }
            },
            "status": {
                "currentNumberScheduled": 3,
                "desiredNumberScheduled": 3,
                "numberAvailable": 2,
                "numberMisscheduled": 0,
                "numberReady": 2,
                "numberUnavailable": 1,
                "observedGeneration": 1,
                "updatedNumberScheduled": 3
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

export const DEPLOYMENTS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "annotations": {
                    "deployment.kubernetes.io/revision": "1"
                },
                "labels": {
                    "k8s-app": "kube-dns"
                },
                "name": "coredns",
                "namespace": "kube-system",
                "uid": "60504030-2010-40ff-eedd-ccbbaa998877"
            },
            "spec": {
                "replicas": 2,
                "selector": {
                    "matchLabels": {
                        "k8s-app": "kube-dns"
                    }
                },
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "args": [
                                    "-conf",
                                    "/etc/coredns/Corefile"
                                ],
                                "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                                "name": "coredns",
                                "ports": [
                                    {
                                        "containerPort": 53,
                                        "name": "dns",
                                        "protocol": "UDP"
                                    },
                                    {
                                        "containerPort": 53,
                                        "name": "dns-tcp",
                                        "protocol": "TCP"
                                    }
                                ],
                                "readinessProbe": {
                                    "httpGet": {
                                        "path": "/ready",
                                        "port": 8181
                                    }
                                }
                            }
                        ]
                    }
                }
            },
            "status": {
                "conditions": [
                    {
                        "reason": "MinimumReplicasUnavailable",
                        "status": "False",
                        "type": "Available"
                    }
                ],
                "observedGeneration": 1,
                "replicas": 2,
                "unavailableReplicas": 2,
                "updatedReplicas": 2
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** A core/v1 Event as kubectl lists it, and one from a newer cluster (eventTime, series). */
export const EVENTS_JSON = String.raw`{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "count": 31,
            "firstTimestamp": "2026-11-26T09:13:10Z",
            "involvedObject": {
                "apiVersion": "v1",
                "fieldPath": "spec.containers{cart}",
                "kind": "Pod",
                "name": "cart-7d9f8b6c4d-k8s9z",
                "namespace": "shop",
                "resourceVersion": "48213",
                "uid": "5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40"
            },
            "kind": "Event",
            "lastTimestamp": "2026-11-26T09:58:40Z",
            "message": "Back-off restarting failed container cart in pod cart-7d9f8b6c4d-k8s9z_shop(5c1d7e2a-0f4b-4a8e-b3c6-9d2e8f1a7b40)",
            "metadata": {
                "creationTimestamp": "2026-11-26T09:13:10Z",
                "name": "cart-7d9f8b6c4d-k8s9z.17f2a9c3b1d4e5f6",
                "namespace": "shop",
                "resourceVersion": "51234",
                "uid": "50403020-10ff-4eed-dccb-baa998877665"
            },
            "reason": "BackOff",
            "reportingComponent": "kubelet",
            "reportingInstance": "node-b",
            "source": {
                "component": "kubelet",
                "host": "node-b"
            },
            "type": "Warning"
        },
        {
            "action": "Scheduling",
            "apiVersion": "v1",
            "eventTime": "2026-11-26T09:12:44.118244Z",
            "firstTimestamp": null,
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": "cart-7d9f8b6c4d-k8s9z",
                "namespace": "shop"
            },
            "kind": "Event",
            "lastTimestamp": null,
            "message": "Successfully assigned shop/cart-7d9f8b6c4d-k8s9z to node-b",
            "metadata": {
                "name": "cart-7d9f8b6c4d-k8s9z.17f2a9c3a0000000",
                "namespace": "shop",
                "uid": "40302010-0ffe-4edd-ccbb-aa9988776655"
            },
            "reason": "Scheduled",
            "reportingComponent": "default-scheduler",
            "series": {
                "count": 2,
                "lastObservedTime": "2026-11-26T09:12:50.000000Z"
            },
            "type": "Normal"
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

/** `kubectl version -o json`. */
export const VERSION_JSON = `{
  "clientVersion": {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.1",
    "gitCommit": "6911225c3f747e1cd9d109c305436d08b668f086",
    "gitTreeState": "clean",
    "buildDate": "2024-05-14T10:50:53Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64"
  },
  "kustomizeVersion": "v5.0.4-0.20230601165947-6ce0bf390ce3",
  "serverVersion": {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.2",
    "gitCommit": "39683505b630ff2121012f3c5b16215a1449d5ed",
    "gitTreeState": "clean",
    "buildDate": "2024-06-11T20:21:00Z",
    "goVersion": "go1.22.4",
    "compiler": "gc",
    "platform": "linux/amd64"
  }
}
`;

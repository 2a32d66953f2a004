declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

export {};

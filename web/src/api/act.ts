import { actionPath, type ConsoleAction } from './actions.ts';
import { ApiError, request, type RequestOptions } from './client.ts';

/** A refusal of `action`, with the labels of its fields, so that whoever shows it names them. */
export function labelled(error: unknown, action: ConsoleAction): unknown {
  if (error instanceof ApiError) error.fieldLabels = action.labels;
  return error;
}

/** Sends one action's request; a refusal carries the action's labels (`ApiError.fieldLabels`). */
export async function callAction<T>(action: ConsoleAction, request_: { readonly params?: Readonly<Record<string, string>>; readonly body?: unknown } & Omit<RequestOptions, 'body'> = {}): Promise<T> {
  const { params, body, ...options } = request_;
  try {
    return await request<T>(action.method, actionPath(action, params), { ...options, ...(body === undefined ? {} : { body }) });
  } catch (error) {
    throw labelled(error, action);
  }
}

#!/usr/bin/env escript
%%! -noshell
%% Writes lock files with rebar3's own rebar_config:write_lock_file/2, loaded
%% from the rebar3 escript, so the TypeScript printer can be compared with it.
%%
%% usage: write_lock.escript REBAR3_ESCRIPT LOCKS_FILE OUT_DIR
%% LOCKS_FILE holds one term per case: a list of rebar3's internal locks,
%% {Name, {pkg, PkgName, Vsn, InnerHash, OuterHash}, Level}. Case N is written
%% to OUT_DIR/N.lock (1-based), sorted by name first as rebar_prv_lock:do/1 sorts.
main([Rebar3, LocksFile, OutDir]) ->
    {ok, Sections} = escript:extract(Rebar3, []),
    {archive, Zip} = lists:keyfind(archive, 1, Sections),
    {ok, [{Name, Beam}]} = zip:extract(Zip, [memory,
        {file_filter, fun(F) -> element(2, F) =:= "rebar/ebin/rebar_config.beam" end}]),
    {module, rebar_config} = code:load_binary(rebar_config, Name, Beam),
    {ok, Cases} = file:consult(LocksFile),
    lists:foldl(fun(Locks, N) ->
        ok = rebar_config:write_lock_file(filename:join(OutDir, integer_to_list(N) ++ ".lock"),
                                        lists:keysort(1, Locks)),
        N + 1
    end, 1, Cases).
